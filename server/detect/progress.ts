// Progress inside a repeated template: do its numbers move the way work moves
// (a percentage or x/y rising, a slow field such as an epoch climbing, a loss
// trending down, a running total growing by varying amounts), or is the only
// moving number a bare counter, which every runaway loop has too (`attempt N`,
// `poll N`, `[i]`)?
//
// Numbers are read only for a time-spread sample of a template's lines: one
// line per slot (the progress window split into SLOTS), paired with the next
// line of the same template. The spread shows slow fields moving; the pairs
// show whether a field changes from one line to the next.
import { FieldFlag } from './normalize';

export const SLOTS = 40;
/** One slot more than kept: the pair being filled never overwrites a complete one. */
const CAP = SLOTS + 1;
/** Share of sampled pairs that must move a field by the same step for it to be a counter. */
const COUNTER_SHARE = 0.8;
/** A field moving steadily changes from one line to the next by at most this share of its range in the window. */
const SMOOTH_SHARE = 0.1;

export type ProgressKind = 'percent' | 'fraction' | 'slow' | 'trend' | 'total' | 'counter' | 'none';

export interface ProgressFinding {
  /** 0..1, or null when there are not enough samples yet. */
  score: number | null;
  kind: ProgressKind;
  /** Plain words: which number moved and how. */
  detail: string;
}

/** How strongly each kind of movement counts as progress. */
const WEIGHT: Record<Exclude<ProgressKind, 'counter' | 'none'>, number> = {
  percent: 0.9,
  fraction: 0.9,
  slow: 0.75,
  trend: 0.7,
  total: 0.55,
};

export interface ScoreContext {
  now: number;
  windowMs: number;
  counterIsProgress: boolean;
  /** Pairs needed (and the time they must span) before a score is given. */
  minPairs: number;
  minSpanMs: number;
}

export class ProgressSampler {
  private readonly a: Float64Array;
  private readonly b: Float64Array;
  private readonly tA = new Float64Array(CAP);
  private readonly nA = new Float64Array(CAP);
  private readonly nB = new Float64Array(CAP);
  private readonly flags: Uint8Array;
  /** Index of the pair being filled (its `b` half is pending), and how many complete pairs exist. */
  private head = 0;
  private size = 0;

  constructor(readonly fieldCount: number) {
    this.a = new Float64Array(CAP * fieldCount);
    this.b = new Float64Array(CAP * fieldCount);
    this.flags = new Uint8Array(fieldCount);
  }

  /** The first line of a slot. */
  start(values: Float64Array, flags: Uint8Array, t: number, n: number): void {
    const F = this.fieldCount;
    const off = this.head * F;
    for (let j = 0; j < F; j++) {
      this.a[off + j] = values[j]!;
      this.flags[j]! |= flags[j]!;
    }
    this.tA[this.head] = t;
    this.nA[this.head] = n;
  }

  /** The next line of the same template: completes the pair. */
  complete(values: Float64Array, n: number): void {
    const F = this.fieldCount;
    const off = this.head * F;
    for (let j = 0; j < F; j++) this.b[off + j] = values[j]!;
    this.nB[this.head] = n;
    this.head = (this.head + 1) % CAP;
    if (this.size < SLOTS) this.size++;
  }

  /** Complete pairs inside the window, oldest first. */
  private window(from: number): number[] {
    const idx: number[] = [];
    for (let k = this.size; k >= 1; k--) {
      const p = (this.head - k + CAP) % CAP;
      if (this.tA[p]! >= from) idx.push(p);
    }
    return idx;
  }

  score(ctx: ScoreContext): ProgressFinding {
    const idx = this.window(ctx.now - ctx.windowMs);
    const m = idx.length;
    if (this.fieldCount === 0) {
      return m >= 2 ? { score: 0, kind: 'none', detail: 'the line has no numbers' } : unknown();
    }
    if (m < ctx.minPairs || this.tA[idx[m - 1]!]! - this.tA[idx[0]!]! < ctx.minSpanMs) return unknown();

    const findings: { kind: ProgressKind; j: number; text: string }[] = [];
    for (let j = 0; j < this.fieldCount; j++) {
      const f = this.classify(j, idx, ctx);
      if (f) findings.push({ ...f, j });
    }
    let best: ProgressFinding = { score: 0, kind: 'none', detail: 'no number in the repeated line moves' };
    const counters = findings.filter((f) => f.kind === 'counter');
    const movers = findings.filter((f) => f.kind !== 'counter');
    for (const f of movers) {
      let w = WEIGHT[f.kind as keyof typeof WEIGHT];
      if (f.kind === 'slow' && (counters.length > 0 || movers.length > 1)) w += 0.1; // a slow field alongside a counter
      if (w > (best.score ?? 0)) best = { score: w, kind: f.kind, detail: f.text };
    }
    if (movers.length === 0 && counters.length > 0) {
      const c = counters[0]!;
      best = { score: ctx.counterIsProgress ? 0.6 : 0.2, kind: 'counter', detail: c.text };
    }
    if (new Set(movers.map((f) => f.kind)).size >= 2) best.score = Math.min(1, best.score! + 0.1);
    return best;
  }

  /** What one field does over the window, or null when it does not move (or is a clock). */
  private classify(j: number, idx: number[], ctx: ScoreContext): { kind: ProgressKind; text: string } | null {
    const F = this.fieldCount;
    const fl = this.flags[j]!;
    if (fl & (FieldFlag.Clock | FieldFlag.Denominator)) return null;
    const m = idx.length;
    const a = idx.map((p) => this.a[p * F + j]!);
    const first = a[0]!;
    const last = a[m - 1]!;
    if (a.every((v) => v === first)) return null;
    if (this.looksLikeTime(a, idx, ctx)) return null;

    let inc = 0;
    let dec = 0;
    for (let i = 1; i < m; i++) {
      if (a[i]! > a[i - 1]!) inc++;
      else if (a[i]! < a[i - 1]!) dec++;
    }
    let changed = 0;
    for (const p of idx) if (this.b[p * F + j] !== this.a[p * F + j]) changed++;
    const changeShare = changed / m;
    const label = `number #${j + 1}`;
    const span = `${fmt(first)} → ${fmt(last)}`;

    if (fl & FieldFlag.Percent && inc >= 2 && inc > 2 * dec) return { kind: 'percent', text: `the percentage rises (${span})` };
    if (fl & FieldFlag.Numerator && j + 1 < F && inc >= 2 && dec === 0 && this.constant(j + 1, idx)) {
      return { kind: 'fraction', text: `the x of x/y rises (${span} of ${fmt(this.a[idx[0]! * F + j + 1]!)})` };
    }
    // Work moves a little from one line to the next; noise (and a cyclic field seen
    // through sampling) jumps by a good part of its whole range between neighbours.
    const smooth = this.lineStep(j, idx) <= SMOOTH_SHARE * (Math.max(...a) - Math.min(...a));
    const monotone = (inc === 0 || dec === 0) && inc + dec > 0;
    if (monotone && changeShare <= 0.5 && inc + dec >= 2) {
      return { kind: 'slow', text: `${label} ${inc ? 'climbs' : 'falls'} slowly and steadily (${span})` };
    }
    if (monotone && changeShare >= 0.8) {
      if (this.constantStep(j, idx)) return { kind: 'counter', text: `only a counter moves (${label}: ${span}, the same step every line)` };
      // A running total never goes back from one line to the next.
      if (smooth && this.stepsAlong(j, idx, inc > 0 ? 1 : -1)) return { kind: 'total', text: `${label} ${inc ? 'grows' : 'shrinks'} by varying amounts (${span})` };
      return null;
    }
    if (m >= 16 && smooth) {
      const tau = kendallTau(a);
      if (Math.abs(tau) >= 0.65) return { kind: 'trend', text: `${label} trends ${tau < 0 ? 'down' : 'up'} (${span})` };
    }
    return null;
  }

  /** Median change of the field from one line to the next (over the sampled pairs). */
  private lineStep(j: number, idx: number[]): number {
    const F = this.fieldCount;
    const d = idx.map((p) => Math.abs(this.b[p * F + j]! - this.a[p * F + j]!)).sort((x, y) => x - y);
    return d[Math.floor(d.length / 2)]!;
  }

  private constant(j: number, idx: number[]): boolean {
    const F = this.fieldCount;
    const v = this.a[idx[0]! * F + j]!;
    return idx.every((p) => this.a[p * F + j] === v && this.b[p * F + j] === v);
  }

  /**
   * Most lines (COUNTER_SHARE of the pairs) move the field by the same amount: a loop
   * counter. A few odd pairs are tolerated (two writers on one pipe, a lost line).
   */
  private constantStep(j: number, idx: number[]): boolean {
    const F = this.fieldCount;
    const steps = new Map<number, number>();
    for (const p of idx) {
      const dn = this.nB[p]! - this.nA[p]!;
      if (dn <= 0) continue;
      const d = Number(((this.b[p * F + j]! - this.a[p * F + j]!) / dn).toPrecision(9));
      steps.set(d, (steps.get(d) ?? 0) + 1);
    }
    let best: [number, number] = [0, 0];
    for (const e of steps) if (e[1] > best[1]) best = e;
    return best[0] !== 0 && best[1] >= COUNTER_SHARE * idx.length;
  }

  /** No pair moves the field against `sign`. */
  private stepsAlong(j: number, idx: number[], sign: 1 | -1): boolean {
    const F = this.fieldCount;
    return idx.every((p) => sign * (this.b[p * F + j]! - this.a[p * F + j]!) >= 0);
  }

  /**
   * Epoch timestamps and elapsed-time fields climb with the clock, not with work:
   * a value near the current epoch time, or a field rising at one unit per second
   * or per millisecond (within 5%) over at least 2 s.
   */
  private looksLikeTime(a: number[], idx: number[], ctx: ScoreContext): boolean {
    const last = a[a.length - 1]!;
    const day = 86_400;
    if (Math.abs(last - ctx.now / 1000) < 3 * day || Math.abs(last - ctx.now) < 3 * day * 1000) return true;
    const dtMs = this.tA[idx[idx.length - 1]!]! - this.tA[idx[0]!]!;
    if (dtMs < 2000) return false;
    const perMs = (last - a[0]!) / dtMs;
    return Math.abs(perMs * 1000 - 1) <= 0.05 || Math.abs(perMs - 1) <= 0.05;
  }
}

const unknown = (): ProgressFinding => ({ score: null, kind: 'none', detail: 'not enough lines yet to judge progress' });

/** Kendall's tau-a between the values and their order: +1 rising, -1 falling, ~0 noise. */
export function kendallTau(a: number[]): number {
  const m = a.length;
  let s = 0;
  for (let i = 0; i < m; i++) for (let k = i + 1; k < m; k++) s += Math.sign(a[k]! - a[i]!);
  return (2 * s) / (m * (m - 1));
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
}
