// Long cycles: a repeating sequence of templates of any period from 2 to
// MAX_PERIOD lines, over stdout and stderr together (a test run re-run after
// each "fix", a traceback whose error value rotates, a multi-step agent
// transcript). The per-stream check in the detector only looks 5 lines back.
//
// How, in bounded memory and a few compares per line: every template
// remembers where it was last seen; the distance since then is a vote for a
// period. A handful of candidate periods are followed at once; each counts
// the lines equal to the line one period back. A candidate that misses more
// than a tenth of its lines is dropped; one that has matched two whole
// periods in a row (the cycle printed three times, with nothing new) is
// *established*. That is the evidence a loop needs: a whole cycle repeating,
// not a few familiar lines (a suite run three times in CI reaches it only as
// it ends, and the rules still want their windows on top).

export const MAX_PERIOD = 512;
const RING = 1024; // a power of two above MAX_PERIOD
const MASK = RING - 1;
const SLOTS = 4;
/** A candidate survives while its misses stay within this share of its lines (plus a little slack). */
const MISS_SHARE = 0.1;
const MISS_SLACK = 2;
/** Full periods matched in a row before a cycle counts as established. */
const PERIODS_TO_ESTABLISH = 2;
/** Counts are halved once they cover this many periods, so misses are judged on recent lines. */
const HALVE_AT_PERIODS = 8;
/** Shares this close count as equal when choosing between established cycles. */
const SHARE_TIE = 0.02;

export interface CycleFinding {
  /** Lines in one cycle. */
  period: number;
  /** Share of the lines since the candidate was adopted that equal the line one period back. */
  share: number;
  /** How many whole periods have repeated (lines followed / period). */
  repeats: number;
  /** When the candidate was adopted (its second occurrence began). */
  sinceT: number;
}

export class CycleTracker {
  private readonly ring = new Int32Array(RING);
  private pos = 0;
  private readonly period = new Int32Array(SLOTS); // 0: free slot
  private readonly lines = new Int32Array(SLOTS);
  private readonly matched = new Int32Array(SLOTS);
  private readonly sinceT = new Float64Array(SLOTS);
  /** Lines followed since adoption (never halved, unlike `lines`). */
  private readonly total = new Float64Array(SLOTS);

  /** Position of the next line in the merged stream (what a template stores as its last sighting). */
  get position(): number {
    return this.pos;
  }

  /**
   * One non-blank line. `key` names its template; `lastPos` is where that
   * template was last seen (-1: never), as returned by `position` back then.
   */
  push(key: number, lastPos: number, t: number): void {
    const pos = this.pos;
    const ring = this.ring;
    for (let j = 0; j < SLOTS; j++) {
      const p = this.period[j]!;
      if (p === 0) continue;
      const n = ++this.lines[j]!;
      this.total[j]!++;
      if (ring[(pos - p) & MASK] === key) this.matched[j]!++;
      else if (n - this.matched[j]! > MISS_SLACK + n * MISS_SHARE) this.period[j] = 0;
      if (n >= HALVE_AT_PERIODS * p && n >= 64) {
        // Recent lines weigh most: a cycle that stopped repeating is dropped within a few periods.
        this.lines[j] = n >> 1;
        this.matched[j] = this.matched[j]! >> 1;
      }
    }
    if (lastPos >= 0) {
      const d = pos - lastPos;
      if (d >= 2 && d <= MAX_PERIOD) this.vote(d, t);
    }
    ring[pos & MASK] = key;
    this.pos = pos + 1;
  }

  /** A template recurred d lines later: follow d as a period unless already followed. */
  private vote(d: number, t: number): void {
    let victim = -1;
    let fewest = Infinity;
    for (let j = 0; j < SLOTS; j++) {
      const p = this.period[j]!;
      if (p === d) return;
      if (p === 0) {
        if (fewest > -1) {
          victim = j;
          fewest = -1;
        }
      } else if (this.matched[j]! < PERIODS_TO_ESTABLISH * p && this.matched[j]! < fewest) {
        // Only candidates not yet established give way, the weakest first.
        victim = j;
        fewest = this.matched[j]!;
      }
    }
    if (victim < 0) return;
    // The cycle may have begun repeating before the line that revealed it:
    // count the run of lines (at most one period) that already equal the line d back.
    const pos = this.pos;
    const ring = this.ring;
    let run = 1; // this line, whose template was seen d lines ago
    while (run < d && pos - run - d >= 0 && ring[(pos - run) & MASK] === ring[(pos - run - d) & MASK]) run++;
    this.period[victim] = d;
    this.lines[victim] = run;
    this.matched[victim] = run;
    this.total[victim] = run;
    this.sinceT[victim] = t;
  }

  /**
   * The established cycle that repeats most exactly, the shortest among equals
   * (a 30-line traceback loop whose error value rotates also matches 90% at 10
   * lines: the 30-line cycle is the true one), or null.
   */
  established(): CycleFinding | null {
    let best: CycleFinding | null = null;
    for (let j = 0; j < SLOTS; j++) {
      const p = this.period[j]!;
      if (p === 0 || this.matched[j]! < PERIODS_TO_ESTABLISH * p) continue;
      const share = this.matched[j]! / this.lines[j]!;
      const better = !best || share > best.share + SHARE_TIE || (share >= best.share - SHARE_TIE && p < best.period);
      if (better) best = { period: p, share, repeats: Math.floor(this.total[j]! / p), sinceT: this.sinceT[j]! };
    }
    return best;
  }

  /** Whether the last `n` lines (n ≤ MAX_PERIOD) are still in the ring. */
  has(n: number): boolean {
    return n >= 1 && n <= MAX_PERIOD && this.pos >= n;
  }

  /** The key of the line `back` lines before the next one (1: the last line). Callers check `has` first. */
  keyBack(back: number): number {
    return this.ring[(this.pos - back) & MASK]!;
  }

  /**
   * How many of the last lines (beyond the first `period`, at most `max`) equal
   * the line one period before them: `period + run` lines repeat with that period.
   */
  periodicRun(period: number, max: number): number {
    const ring = this.ring;
    const pos = this.pos;
    const limit = Math.min(max, pos - period, RING - period);
    let run = 0;
    while (run < limit && ring[(pos - 1 - run) & MASK] === ring[(pos - 1 - run - period) & MASK]) run++;
    return run;
  }

  /** The candidate closest to being established (for near misses and explanations), or null. */
  leading(): { period: number; matched: number } | null {
    let best: { period: number; matched: number } | null = null;
    for (let j = 0; j < SLOTS; j++) {
      const p = this.period[j]!;
      if (p === 0) continue;
      const progress = this.matched[j]! / p;
      if (!best || progress > best.matched / best.period) best = { period: p, matched: this.matched[j]! };
    }
    return best;
  }
}
