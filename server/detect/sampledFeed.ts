// What of a job's output the detector reads line by line. Every byte is
// counted (lines, bytes, rate and silence stay exact), but normalising and
// hashing each line costs ~0.3-1 µs: a job printing 60 M lines a second would
// need a whole core or more just to be watched, and would wait for it. So the
// detector reads lines within a budget (ANALYSE_UNITS_PER_S, bursts allowed),
// which covers every job printing at a human or log-file pace in full; beyond
// it, it reads whole chunks (runs of consecutive lines, so cycles and template
// shares inside them stay true) spread evenly over time, and only counts the
// chunks in between. Templates, cycles, novelty share, progress and evidence
// then come from that sample — the shares, not the totals, are what the rules
// judge. The switch always happens at a line boundary so that the detector
// never sees half a line glued to another.
import type { StreamName } from './types';
import { countNewlines } from '../util/newlines';

export interface FeedTarget {
  observeOutput(stream: StreamName, chunk: Buffer, t: number): void;
  /** Output seen but not analysed: counted in lines, bytes, rate and silence only. */
  observeCounted(stream: StreamName, bytes: number, lines: number, t: number): void;
}

export interface SamplingBudget {
  /** Analysis units per second: a line costs 1, plus 1 per BYTES_PER_UNIT bytes. */
  unitsPerSecond: number;
  /** The most a burst may spend at once. */
  burstUnits: number;
}

/** ~10% of a core on this machine's slowest line shape (the detector reads ≥1 M lines/s). */
export const DEFAULT_BUDGET: SamplingBudget = { unitsPerSecond: 100_000, burstUnits: 200_000 };
/** Long lines cost more to normalise; 256 bytes weigh as much as a line. */
const BYTES_PER_UNIT = 256;

export class SampledFeed {
  private tokens: number;
  private lastT: number | null = null;
  /** Per stream: true while the detector is reading it (its partial line is current). */
  private readonly reading: Record<StreamName, boolean> = { stdout: true, stderr: true };
  /** Lines and bytes only counted, for reports and tests. */
  skippedLines = 0;
  analysedLines = 0;

  constructor(
    private readonly target: FeedTarget,
    private readonly budget: SamplingBudget = DEFAULT_BUDGET,
  ) {
    this.tokens = budget.burstUnits;
  }

  feed(stream: StreamName, chunk: Buffer, t: number): void {
    if (chunk.length === 0) return;
    this.refill(t);
    const lines = countNewlines(chunk);
    const cost = lines + Math.ceil(chunk.length / BYTES_PER_UNIT);
    if (this.reading[stream]) {
      // A chunk without a newline only extends the current line: the detector keeps a capped
      // prefix of it and scans the rest at memchr speed, so it costs nothing worth budgeting.
      if (lines === 0) return this.analyse(stream, chunk, 0, chunk.length, 0, t, 0);
      if (this.affordable(cost)) return this.analyse(stream, chunk, 0, chunk.length, lines, t, cost);
      // Over budget: finish the current line, count the rest.
      const nl = chunk.indexOf(10);
      this.analyse(stream, chunk, 0, nl + 1, 1, t, 1);
      this.count(stream, chunk.length - nl - 1, lines - 1, t);
      this.reading[stream] = false;
      return;
    }
    if (lines === 0 || !this.affordable(cost)) return this.count(stream, chunk.length, lines, t);
    // Budget again: resume at the start of the next line.
    const nl = chunk.indexOf(10);
    this.count(stream, nl + 1, 1, t);
    this.reading[stream] = true;
    if (nl + 1 < chunk.length) this.analyse(stream, chunk, nl + 1, chunk.length, lines - 1, t, cost);
  }

  /** A chunk dearer than a whole burst is taken once the bucket is full (and leaves it in debt). */
  private affordable(cost: number): boolean {
    return this.tokens >= Math.min(cost, this.budget.burstUnits);
  }

  private analyse(stream: StreamName, chunk: Buffer, from: number, to: number, lines: number, t: number, cost: number): void {
    this.tokens -= cost;
    this.analysedLines += lines;
    this.target.observeOutput(stream, from === 0 && to === chunk.length ? chunk : chunk.subarray(from, to), t);
  }

  private count(stream: StreamName, bytes: number, lines: number, t: number): void {
    this.skippedLines += lines;
    if (bytes > 0) this.target.observeCounted(stream, bytes, lines, t);
  }

  private refill(t: number): void {
    if (this.lastT !== null && t > this.lastT) {
      this.tokens = Math.min(this.budget.burstUnits, this.tokens + ((t - this.lastT) * this.budget.unitsPerSecond) / 1000);
    }
    if (this.lastT === null || t > this.lastT) this.lastT = t;
  }
}
