// Summaries the benchmarks report: one median (the middle pair averaged) and
// the latency percentiles, so every bench reads its numbers the same way.

export interface Latency {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Nearest-rank percentiles (NaN for no values). */
export function percentiles(xs: readonly number[]): Latency {
  const s = Float64Array.from(xs).sort();
  const at = (q: number) => (s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))]! : NaN);
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: s.length ? s[s.length - 1]! : NaN };
}
