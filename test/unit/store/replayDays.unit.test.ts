// Idempotency-Key outcomes counted per UTC day: one row per day, the day
// boundary at UTC midnight, and 90 days kept.
import assert from 'node:assert/strict';
import { openStore } from '../../../server/store';
import { FakeClock } from '../../../server/util/clock';

const DAY = 86_400_000;

describe('store/idempotency days', () => {
  it('counts replays and conflicts on the UTC day of their time, and returns only days in range', async () => {
    const midnight = Date.UTC(2026, 2, 10);
    const { store } = await openStore({ path: null, clock: new FakeClock(midnight) });
    store.countIdempotencyOutcome('replay', midnight - 1); // the day before
    store.countIdempotencyOutcome('replay', midnight);
    store.countIdempotencyOutcome('replay', midnight + DAY - 1);
    store.countIdempotencyOutcome('conflict', midnight + 5);
    const day = midnight / DAY;
    assert.deepEqual(store.idempotencyDays(day - 1, day), [
      { day: day - 1, replays: 1, conflicts: 0 },
      { day, replays: 2, conflicts: 1 },
    ]);
    assert.deepEqual(store.idempotencyDays(day + 1, day + 5), []);
    await store.close();
  });

  it('retention drops days older than 90', async () => {
    const clock = new FakeClock(Date.UTC(2026, 2, 10));
    const { store } = await openStore({ path: null, clock });
    const today = clock.now() / DAY;
    store.countIdempotencyOutcome('replay', clock.now() - 90 * DAY);
    store.countIdempotencyOutcome('replay', clock.now() - 89 * DAY);
    store.maintain(true);
    assert.deepEqual(store.idempotencyDays(today - 200, today).map((d) => today - d.day), [89]);
    await store.close();
  });
});
