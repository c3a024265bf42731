// Progress scoring on sampled numbers: real movement (percent, x/y, a slow
// field next to a counter, a falling loss, a running total) versus a bare
// counter, noise, cyclic fields and clocks.
import { strict as assert } from 'node:assert';
import { LineNormalizer } from '../../../server/detect/normalize';
import { ProgressSampler, kendallTau, type ScoreContext } from '../../../server/detect/progress';

const START = 1_700_000_000_000;
const norm = new LineNormalizer();

/** Samples one pair every 500 ms from a line generator (n = the template's line number). */
function sampled(make: (n: number) => string, linesPerSecond: number, seconds: number, counterIsProgress = false) {
  let sampler: ProgressSampler | null = null;
  const pairs = seconds * 2;
  for (let p = 0; p < pairs; p++) {
    const t = START + p * 500;
    const n = Math.floor((p * 500 * linesPerSecond) / 1000) + 1;
    for (const [k, half] of [
      [n, 'a'],
      [n + 1, 'b'],
    ] as const) {
      const b = Buffer.from(make(k));
      const f = norm.fields(b, 0, b.length);
      sampler ??= new ProgressSampler(f);
      if (half === 'a') sampler.start(norm.values, norm.flags, t, k);
      else sampler.complete(norm.values, k);
    }
  }
  const ctx: ScoreContext = {
    now: START + pairs * 500,
    windowMs: 20_000,
    counterIsProgress,
    minPairs: 4,
    minSpanMs: 1500,
  };
  return sampler!.score(ctx);
}

describe('progress', () => {
  it('a bare counter is weak evidence (standard) but counts as progress when the profile says so', () => {
    const f = sampled((n) => `[${n}] Processing item ${n % 7} at 0x1f with value ${Math.random().toFixed(5)}`, 5000, 10);
    assert.equal(f.kind, 'counter');
    assert.ok(f.score! < 0.5);
    const light = sampled((n) => `ERROR retry (attempt ${n})`, 20, 10, true);
    assert.ok(light.score! >= 0.5);
  });

  it('a counter stays a counter when a few lines are odd (two writers, a lost line)', () => {
    const f = sampled((n) => `poll ${n % 10 === 3 ? n - 1 : n}: upstream not ready`, 400, 10);
    assert.equal(f.kind, 'counter', f.detail);
  });

  it('a slow field climbing next to a counter (epoch next to step) is progress', () => {
    const f = sampled((n) => `epoch ${Math.floor(n / 100)} step ${n} loss 0.1000 lr 0.0003`, 150, 15);
    assert.equal(f.kind, 'slow');
    assert.ok(f.score! >= 0.8);
  });

  it('a percentage rising and an x of x/y rising are progress', () => {
    assert.equal(sampled((n) => `downloading ${Math.floor(n / 10)}% done`, 20, 10).kind, 'percent');
    assert.equal(sampled((n) => `[${n}/5000] compiling`, 50, 10).kind, 'fraction');
  });

  it('a noisy loss trending down is progress; pure noise is not', () => {
    let x = 7;
    const noise = () => ((x = (x * 48271) % 2147483647) / 2147483647 - 0.5) * 0.05;
    const trend = sampled((n) => `loss ${(2 - n / 400 + noise()).toFixed(4)}`, 20, 15);
    assert.ok(trend.kind === 'trend' || trend.kind === 'total', trend.detail);
    assert.ok(trend.score! >= 0.5);
    const flat = sampled(() => `value ${Math.random().toFixed(5)}`, 2000, 15);
    assert.equal(flat.score, 0, flat.detail);
  });

  it('a cyclic field seen through regular sampling is not mistaken for movement', () => {
    const f = sampled((n) => `syncing shard ${n % 3}: lock busy, retry`, 3001, 15);
    assert.equal(f.score, 0, f.detail);
  });

  it('timestamps and elapsed-time fields move with the clock, not with work', () => {
    const epoch = sampled((n) => `[${(START / 1000 + n / 20).toFixed(3)}] retrying`, 20, 10);
    assert.equal(epoch.score, 0, epoch.detail);
    const elapsed = sampled((n) => `elapsed ${(n / 20).toFixed(2)}s retrying`, 20, 10);
    assert.equal(elapsed.score, 0, elapsed.detail);
  });

  it('says "unknown" until enough pairs spanning enough time exist', () => {
    assert.equal(sampled((n) => `attempt ${n}`, 20, 1).score, null);
  });

  it('kendallTau: +1 rising, -1 falling, 0 for a flat-ish alternation', () => {
    assert.equal(kendallTau([1, 2, 3, 4]), 1);
    assert.equal(kendallTau([4, 3, 2, 1]), -1);
    assert.equal(kendallTau([1, 2, 1, 2, 1, 2].slice(0, 4)), 1 / 3);
  });
});
