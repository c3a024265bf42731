// Signals from the supervisor's per-tick readings of the whole process tree:
// CPU (latest, sustained, how long it has been high), memory (level, peak,
// slope) and the tree (process count, churn). Pure: readings in, numbers out.
import { Stretch } from './stretch';
import type { ResourceReading, SignalSnapshot } from './types';

const MAX_READINGS = 600;
/** Window of the memory guard's slope: its last three readings must fall within it. */
const FAST_MEMORY_WINDOW_MS = 5_000;
/** The memory guard's longer look back, and the growth below which it does not project at all. */
const GUARD_WINDOW_MS = 10_000;
const MIN_GUARD_GROWTH_MB_PER_S = 32;
/**
 * Of the last 5 CPU readings, this many below the threshold end a "high" stretch
 * (on a shared machine a spinning job's share dips now and then).
 */
const LOW_READINGS_TO_RESET = 3;

export interface ResourceWindows {
  maxCpu: number;
  cpuWindowMs: number;
  memoryWindowMs: number;
  treeWindowMs: number;
}

export class ResourceSignals {
  private readings: ResourceReading[] = [];
  private peakCpu = 0;
  private peakRss = 0;
  private readonly high = new Stretch(LOW_READINGS_TO_RESET);
  private prevT: number | null = null;

  /** @param startT when the job started (its memory then counts as nothing), if known */
  constructor(
    private readonly w: ResourceWindows,
    private readonly startT: number | null = null,
  ) {}

  observe(r: ResourceReading): void {
    const first = this.readings.length === 0;
    // The first reading's processes are the job itself, not churn.
    this.readings.push(first ? { ...r, spawned: 0, exited: 0 } : r);
    if (this.readings.length > MAX_READINGS) this.readings.splice(0, this.readings.length - MAX_READINGS);
    this.peakRss = Math.max(this.peakRss, r.rssBytes);
    if (r.cpuPercent !== null) this.peakCpu = Math.max(this.peakCpu, r.cpuPercent);
    const busy = busyOf(r);
    // A reading covers the interval before it, so a stretch begins at the previous reading.
    if (busy !== null) this.high.update(r.t, busy >= this.w.maxCpu, this.prevT ?? r.t);
    this.prevT = r.t;
  }

  cpu(t: number): SignalSnapshot['cpu'] {
    const recent = this.since(t - this.w.cpuWindowMs);
    const sustained = (values: (number | null)[]) => {
      const known = values.filter((v): v is number => v !== null);
      return known.length >= 2 ? lowerQuartile(known) : null;
    };
    const latest = [...this.readings].reverse().find((r) => r.cpuPercent !== null);
    return {
      percent: latest?.cpuPercent ?? null,
      demandPercent: latest?.cpuDemandPercent ?? null,
      sustainedPercent: sustained(recent.map((r) => r.cpuPercent)),
      busyPercent: sustained(recent.map(busyOf)),
      highForMs: this.high.heldMs(t),
      peakPercent: this.peakCpu,
    };
  }

  memory(t: number): SignalSnapshot['memory'] {
    const last = this.readings[this.readings.length - 1];
    const points = (ms: number) => this.since(t - ms).map((r) => [r.t / 1000, r.rssBytes / MB] as const);
    const pts = points(this.w.memoryWindowMs);
    // The guard's slope: the slowest of the last two intervals (the job's start,
    // with nothing allocated yet, counts as a point), so a balloon is seen at
    // once while a single jump (one big allocation) lasts one interval only and
    // never holds for the rule's window.
    const fast: (readonly [number, number])[] = points(FAST_MEMORY_WINDOW_MS).slice(-3);
    if (fast.length < 3 && this.startT !== null && this.readings.length === fast.length) fast.unshift([this.startT / 1000, 0]);
    let fastSlope = fast.length >= 2 ? Infinity : 0;
    for (let i = 1; i < fast.length; i++) fastSlope = Math.min(fastSlope, rise(fast[i - 1]!, fast[i]!));
    // While it keeps growing, the projection takes the steeper of that and the
    // last 10 s (a balloon that slows down as it gets big still counts its burst).
    const guard = points(GUARD_WINDOW_MS);
    const guardSlope = fastSlope >= MIN_GUARD_GROWTH_MB_PER_S ? Math.max(fastSlope, guard.length >= 3 ? slope(guard) : 0) : 0;
    const avail = last?.memAvailableBytes ?? null;
    const availableMb = avail === null ? null : avail / MB;
    return {
      rssMb: last ? last.rssBytes / MB : 0,
      peakMb: this.peakRss / MB,
      slopeMbPerS: pts.length >= 3 ? slope(pts) : 0,
      fastSlopeMbPerS: guardSlope,
      availableMb,
      exhaustInS: availableMb !== null && guardSlope > 0 ? Math.max(0, availableMb) / guardSlope : null,
    };
  }

  /** Read + write bytes per second over the tree window; null until two readings had I/O counters. */
  io(t: number): SignalSnapshot['io'] {
    const recent = this.since(t - this.w.treeWindowMs).slice(1); // the oldest reading's bytes predate the window
    const known = recent.filter((r) => r.ioBytes != null);
    if (known.length === 0) return { bytesPerS: null };
    const spanS = Math.max(1, (t - (this.since(t - this.w.treeWindowMs)[0]?.t ?? t)) / 1000);
    return { bytesPerS: known.reduce((n, r) => n + r.ioBytes!, 0) / spanS };
  }

  tree(t: number): SignalSnapshot['tree'] {
    const last = this.readings[this.readings.length - 1];
    const recent = this.since(t - this.w.treeWindowMs);
    const events = recent.reduce((n, r) => n + r.spawned + r.exited, 0);
    const spanS = recent.length ? Math.max(1, (t - recent[0]!.t) / 1000 + 1) : 1;
    return { procs: last?.procs ?? 0, churnPerS: events / spanS };
  }

  private since(from: number): ResourceReading[] {
    let i = this.readings.length;
    while (i > 0 && this.readings[i - 1]!.t > from) i--;
    return this.readings.slice(i);
  }
}

const MB = 1024 * 1024;

/** How busy one reading says the job is: its CPU demand where known (never below its CPU), else its CPU. */
function busyOf(r: ResourceReading): number | null {
  if (r.cpuPercent === null) return null;
  return r.cpuDemandPercent == null ? r.cpuPercent : Math.max(r.cpuPercent, r.cpuDemandPercent);
}

/** Lower quartile: robust against a short burst, so "sustained" means most of the window. */
export function lowerQuartile(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) * 0.25)]!;
}

const rise = (a: readonly [number, number], b: readonly [number, number]): number => (b[0] > a[0] ? (b[1] - a[1]) / (b[0] - a[0]) : 0);

/** Least-squares slope of y over x. */
export function slope(pts: ReadonlyArray<readonly [number, number]>): number {
  const n = pts.length;
  let sx = 0;
  let sy = 0;
  for (const [x, y] of pts) {
    sx += x;
    sy += y;
  }
  const mx = sx / n;
  const my = sy / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of pts) {
    num += (x - mx) * (y - my);
    den += (x - mx) * (x - mx);
  }
  return den === 0 ? 0 : num / den;
}
