// How long a condition has held, tolerating short dips: of the last 5
// observations, `missesToEnd` failing ones end the stretch (N-of-M, as in
// monit's "for 3 times within 5 cycles"). A failing observation alone does not.
export class Stretch {
  private since: number | null = null;
  private misses = 0;

  constructor(private readonly missesToEnd: number) {}

  /** `startT`: when the condition began if earlier than `t` (a reading covers the interval before it). */
  update(t: number, ok: boolean, startT = t): void {
    this.misses = ((this.misses << 1) | (ok ? 0 : 1)) & 0b11111;
    if (ok) this.since ??= startT;
    else if (bitCount(this.misses) >= this.missesToEnd) this.since = null;
  }

  heldMs(t: number): number {
    return this.since === null ? 0 : Math.max(0, t - this.since);
  }
}

function bitCount(x: number): number {
  let n = 0;
  for (; x; x &= x - 1) n++;
  return n;
}
