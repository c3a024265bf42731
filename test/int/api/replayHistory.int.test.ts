// GET /v1/ops/controlplane/replay/history over real HTTP: replays and key
// conflicts made on several days (the API's injected clock moves between
// them) come back as per-day counts, days without any as 0, and the counts
// are in the store file.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStoreReadOnly } from '../../../server/store';
import { FakeClock } from '../../../server/util/clock';
import { expectProblem, startTestApi, type TestApi } from './harness';

const DAY = 86_400_000;
const isoDay = (t: number) => new Date(t).toISOString().slice(0, 10);

describe('api: GET /v1/ops/controlplane/replay/history', function () {
  let api: TestApi;
  let dir: string;
  // Starts at today's real time so the stored answers are not expired for the store's own clock.
  const clock = new FakeClock(Date.now());
  const start = clock.now();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ff-replays-'));
    api = await startTestApi({ api: { clock }, storePath: join(dir, 'store.db') });
  });
  after(async () => {
    await api?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const register = (key: string, profile = 'strict') =>
    api.post('/v1/integrations/workspaces/register', { workspace_id: `ws-${key}`, workspace_path: tmpdir(), profile, client: 'test' }, { headers: { 'idempotency-key': key } });

  /** One first request, then `replays` repeats of it and `conflicts` reuses of its key with another body. */
  async function day(key: string, replays: number, conflicts: number): Promise<void> {
    assert.equal((await register(key)).headers['x-idempotent-replay'], undefined);
    for (let i = 0; i < replays; i++) assert.equal((await register(key)).headers['x-idempotent-replay'], 'true');
    for (let i = 0; i < conflicts; i++) expectProblem(await register(key, 'light'), 409);
  }

  it('counts replays and conflicts per UTC day, zero days included, oldest first; the counts are in the store file', async () => {
    await day('a', 3, 1); // day A
    clock.advance(2 * DAY);
    await day('b', 1, 0); // A+2
    clock.advance(DAY);
    await day('c', 0, 2); // A+3
    clock.advance(4 * DAY);
    await day('d', 4, 0); // A+7 = today

    const week = await api.get('/v1/ops/controlplane/replay/history?days=7', { key: 'read' });
    assert.equal(week.status, 200, week.text);
    const expected = [0, 1, 0, 0, 0, 0, 4].map((replays, i) => ({
      day: isoDay(start + (i + 1) * DAY),
      replay_events: replays,
      conflict_events: i === 2 ? 2 : 0,
    }));
    assert.deepEqual(week.json, { days: 7, replay_events: 5, conflict_events: 2, points: expected });

    const byDefault = await api.get('/v1/ops/controlplane/replay/history');
    assert.deepEqual(byDefault.json, week.json, 'seven days by default');

    const eight = await api.get('/v1/ops/controlplane/replay/history?days=8');
    assert.deepEqual(eight.json.points[0], { day: isoDay(start), replay_events: 3, conflict_events: 1 });

    const quarter = await api.get('/v1/ops/controlplane/replay/history?days=90');
    assert.equal(quarter.json.points.length, 90);
    assert.equal(quarter.json.points.at(-1).day, isoDay(clock.now()));
    assert.deepEqual([quarter.json.replay_events, quarter.json.conflict_events], [8, 3]);

    await api.store.flush();
    const { store } = await openStoreReadOnly(join(dir, 'store.db'));
    const today = Math.floor(clock.now() / DAY);
    assert.deepEqual(
      store.idempotencyDays(today - 89, today).map((d) => [d.replays, d.conflicts]),
      [[3, 1], [1, 0], [0, 2], [4, 0]],
    );
    await store.close();
  });

  it('refuses days outside 1..90 with a 400 naming the field, and keys that may not see every client', async () => {
    for (const bad of ['0', '91', 'abc', '1.5', '-3', '']) {
      const r = await api.get(`/v1/ops/controlplane/replay/history?days=${encodeURIComponent(bad)}`);
      const p = expectProblem(r, 400);
      assert.match(JSON.stringify(p), /days/, `days=${bad}: ${r.text}`);
    }
    expectProblem(await api.get('/v1/ops/controlplane/replay/history?days=7&extra=1'), 400);
    expectProblem(await api.get('/v1/ops/controlplane/replay/history', { key: 'submit' }), 403);
    expectProblem(await api.get('/v1/ops/controlplane/replay/history', { key: null }), 401);
  });
});
