// Durations come from the monotonic clock: the judge (detector + policy) as the
// engine builds it, driven by a fake clock whose wall time can be set apart
// from its monotonic time. Setting the wall clock changes no duration; a long
// gap between two ticks (the machine slept, the supervisor was stopped) starts
// every stretch and the silence over instead of counting as evidence.
import { strict as assert } from 'node:assert';
import { detectorJudge, type Judge } from '../../../server/engine/judge';
import { resolveSettings } from '../../../server/policy/resolveSettings';
import type { PolicyOverrides } from '../../../server/policy/types';
import { FakeClock } from '../../../server/util/clock';

const PROTECTED = { protection: true };

/** A judge on `clock` and a tick that feeds one reading (and optionally a line) and evaluates. */
function judged(clock: FakeClock, overrides: PolicyOverrides = {}) {
  const judge: Judge = detectorJudge(resolveSettings(overrides), 'run-mono', clock.now(), clock);
  const tick = (opts: { cpu: number; line?: string }) => {
    if (opts.line) {
      for (let k = 0; k < 10; k++) {
        clock.advance(100);
        judge.observeOutput('stdout', Buffer.from(opts.line.repeat(20)), clock.now());
      }
    } else clock.advance(1000);
    const t = clock.now();
    judge.observeResources({ t, cpuPercent: opts.cpu, rssBytes: 50 << 20, procs: 1, spawned: 0, exited: 0, ioBytes: 0 });
    return judge.evaluate(t, PROTECTED);
  };
  return { judge, tick };
}

describe('judge: durations on the monotonic clock', () => {
  it('the wall clock set 10 min ahead between two ticks: silence grows by the second that passed, not by 10 min', () => {
    const clock = new FakeClock();
    const { tick } = judged(clock);
    let last = tick({ cpu: 100 });
    for (let s = 2; s <= 20; s++) last = tick({ cpu: 100 });
    assert.equal(last.snapshot.output.silenceMs, 20_000);
    clock.stepWall(600_000);
    const after = tick({ cpu: 100 });
    assert.equal(after.snapshot.output.silenceMs, 21_000);
    assert.equal(after.verdict.intended, 'continue', after.verdict.reason);
    assert.equal(after.snapshot.t, clock.now(), 'the snapshot carries the wall time records are stamped with');
  });

  it('the wall clock set an hour back in the middle of a CPU loop: it is stopped after the same 5 s as without the step', () => {
    const stopAt = (step: boolean) => {
      const clock = new FakeClock();
      const { tick } = judged(clock);
      for (let s = 1; s <= 40; s++) {
        if (step && s === 6) clock.stepWall(-3_600_000);
        const r = tick({ cpu: 100, line: 'retrying the same request\n' });
        if (r.verdict.intended === 'kill') return s;
      }
      return null;
    };
    const plain = stopAt(false);
    assert.ok(plain !== null && plain <= 12, `stopped at ${plain} s`);
    assert.equal(stopAt(true), plain);
  });

  it('a 10-minute gap between two ticks of a silent spin does not make a silent-spin verdict at wake-up', () => {
    const clock = new FakeClock();
    const { tick } = judged(clock, { profile: 'agent' }); // agent stops a silent spin after 120 s
    for (let s = 1; s <= 100; s++) tick({ cpu: 100 });
    clock.advance(600_000); // nothing was watched (a platform whose monotonic clock counts suspend, a stopped supervisor)
    const woke = tick({ cpu: 100 });
    assert.equal(woke.verdict.intended, 'continue', woke.verdict.reason);
    assert.ok(woke.snapshot.output.silenceMs <= 1000, `silence ${woke.snapshot.output.silenceMs} ms`);
    assert.ok(woke.snapshot.cpu.highForMs <= 1000, `busy for ${woke.snapshot.cpu.highForMs} ms`);
    // Watched again, the spin is judged afresh: alerted only after its own 50 s window.
    let alertAt: number | null = null;
    for (let s = 1; s <= 60 && alertAt === null; s++) if (tick({ cpu: 100 }).verdict.intended !== 'continue') alertAt = s;
    assert.ok(alertAt !== null && alertAt >= 45, `alerted ${alertAt} s after waking`);
  });

  it('near miss: the same 10 minutes watched tick by tick is a silent spin (stopped by the agent profile)', () => {
    const clock = new FakeClock();
    const { tick } = judged(clock, { profile: 'agent' });
    let stopped = false;
    for (let s = 1; s <= 130 && !stopped; s++) stopped = tick({ cpu: 100 }).verdict.intended === 'kill';
    assert.ok(stopped);
  });
});
