// The store a `flowforge run` records into while its real store opens: writes
// queued as they were at the time, replayed in order into a real sql.js store,
// then everything passes straight through.
import { strict as assert } from 'node:assert';
import { pendingStore } from '../../../server/cli/pendingStore';
import { openStore } from '../../../server/store';
import { makeLifecycle, makeRun, makeSample } from '../store/records';

describe('pending store', () => {
  it('queues writes as they were when made, replays them in order, then passes through', async () => {
    const pending = pendingStore();
    const run = makeRun({ lifecycle: 'STARTING', ended_at: null });
    assert.equal(pending.store.upsertRun(run, { summary: 'starting' }), null, 'no journal row before the store is open');
    pending.store.addLifecycle(makeLifecycle(run, { phase: 'RUNNING' }));
    pending.store.addSample(makeSample(run.id, run.started_at + 1000));
    // The engine keeps changing its run object; the queued write keeps the state it had.
    run.lifecycle = 'STOPPED';
    run.ended_at = run.started_at + 2000;
    run.end_reason = 'exited';
    pending.store.upsertRun(run, { summary: 'ended' });
    assert.throws(() => pending.store.listRuns({ limit: 5 }), /still being opened/);

    const { store } = await openStore({ path: null });
    pending.attach(store);
    assert.equal(await pending.opened, store);
    const kinds = store.timeline({ limit: 10 }).items.map((e) => e.summary);
    assert.deepEqual(kinds.reverse().filter((s) => s === 'starting' || s === 'ended'), ['starting', 'ended']);
    assert.equal(store.getRun(run.id)!.lifecycle, 'STOPPED');
    assert.equal(store.samples(run.id).length, 1);
    // Attached: reads and writes go straight to the real store, with their journal rows.
    assert.equal(pending.store.getRun(run.id)!.end_reason, 'exited');
    assert.ok(pending.store.addLifecycle(makeLifecycle(run, { phase: 'STOPPED' })));
    await pending.store.close();
  });

  it('close before the store is open waits for it', async () => {
    const pending = pendingStore();
    let closed = false;
    const closing = pending.store.close().then(() => (closed = true));
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(closed, false);
    pending.attach((await openStore({ path: null })).store);
    await closing;
    assert.equal(closed, true);
  });
});
