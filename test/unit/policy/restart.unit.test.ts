import { strict as assert } from 'node:assert';
import { RestartController } from '../../../server/policy/restart';
import { FakeClock } from '../../../server/util/clock';

describe('RestartController', () => {
  it('backs off 1 s, 2 s, 4 s ... capped at 60 s (with an ample budget)', () => {
    const clock = new FakeClock();
    const rc = new RestartController({ initialDelayMs: 1000, factor: 2, maxDelayMs: 60_000, resetAfterMs: 300_000, budget: 100, budgetWindowMs: 300_000 });
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      const a = rc.next(clock.now());
      assert.ok(a.allowed);
      delays.push(a.delayMs);
      clock.advance(a.delayMs + 5_000); // the restarted attempt runs away again after 5 s
    }
    assert.deepEqual(delays, [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000]);
  });

  it('spends a budget of 3 restarts in 300 s, then refuses with a reason and when to retry', () => {
    const clock = new FakeClock();
    const rc = new RestartController();
    for (let i = 0; i < 3; i++) {
      assert.equal(rc.next(clock.now()).allowed, true);
      clock.advance(10_000);
    }
    const refused = rc.next(clock.now());
    assert.equal(refused.allowed, false);
    if (refused.allowed) return;
    assert.equal(refused.retryAfterMs, 270_000);
    assert.equal(refused.reason, 'restart budget spent: 3 restarts in the last 300 s (the next is allowed in 270 s)');
    clock.advance(270_000);
    assert.equal(rc.next(clock.now()).allowed, true, 'the oldest restart left the window');
  });

  it('manual restarts share the budget but have no delay; check() does not spend it', () => {
    const clock = new FakeClock();
    const rc = new RestartController();
    assert.equal(rc.check(clock.now()), null);
    assert.deepEqual(rc.manual(clock.now()), { allowed: true, delayMs: 0 });
    assert.equal(rc.next(clock.now()).allowed, true);
    assert.equal(rc.manual(clock.now()).allowed, true);
    assert.equal(rc.check(clock.now())?.allowed, false);
    assert.equal(rc.manual(clock.now()).allowed, false);
  });

  it('resets the backoff after 5 min of healthy running', () => {
    const clock = new FakeClock();
    const rc = new RestartController({ initialDelayMs: 1000, factor: 2, maxDelayMs: 60_000, resetAfterMs: 300_000, budget: 100, budgetWindowMs: 1000 });
    const first = rc.next(clock.now());
    clock.advance(3_000);
    const second = rc.next(clock.now());
    assert.deepEqual([first, second].map((a) => (a.allowed ? a.delayMs : -1)), [1000, 2000]);
    rc.attemptStarted(clock.now() + 2000);
    clock.advance(2000 + 300_000);
    rc.recordHealthy(clock.now());
    const third = rc.next(clock.now());
    assert.equal(third.allowed && third.delayMs, 1000);
  });
});
