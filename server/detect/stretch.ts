// How long a condition has held, tolerating short dips: of the last 5
// observations, `missesToEnd` failing ones end the stretch (N-of-M, as in
// monit's "for 3 times within 5 cycles"). A failing observation alone does not.
//
// A gap between observations far longer than the usual interval (the laptop
// slept, the supervisor was stopped, the clock jumped) or a clock that went
// backwards ends the stretch too: nobody watched in between, so that time is
// not evidence of anything.
export class Stretch {
  private since: number | null = null;
  private misses = 0;
  private lastT: number | null = null;
  /** The last ordinary interval between observations, ms. */
  private interval: number | null = null;

  constructor(private readonly missesToEnd: number) {}

  /** `startT`: when the condition began if earlier than `t` (a reading covers the interval before it). */
  update(t: number, ok: boolean, startT = t): void {
    if (this.lastT !== null) {
      const dt = t - this.lastT;
      if (isGap(dt, this.interval)) {
        this.since = null;
        this.misses = 0;
        startT = t;
      } else this.interval = dt;
    }
    this.lastT = t;
    this.misses = ((this.misses << 1) | (ok ? 0 : 1)) & 0b11111;
    if (ok) this.since ??= startT;
    else if (bitCount(this.misses) >= this.missesToEnd) this.since = null;
  }

  heldMs(t: number): number {
    return this.since === null ? 0 : Math.max(0, t - this.since);
  }
}

/** A gap: at least GAP_MIN_MS and GAP_FACTOR usual intervals, or time going backwards. */
const GAP_FACTOR = 5;
const GAP_MIN_MS = 5_000;

export function isGap(dt: number, usual: number | null): boolean {
  if (dt < 0) return true;
  return dt >= GAP_MIN_MS && dt >= GAP_FACTOR * (usual ?? 1_000);
}

function bitCount(x: number): number {
  let n = 0;
  for (; x; x &= x - 1) n++;
  return n;
}
