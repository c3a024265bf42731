// The spool a short `flowforge run` leaves beside its store: written
// redacted and atomically, imported once by the next writer (in order, never
// twice), shown to readers without being consumed, and a bad file is moved
// aside with a warning instead of being lost or blocking the store.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openStore, openStoreReadOnly } from '../../../server/store';
import { applySpool, discardSpool, pendingSpoolFiles, spoolDirFor, writeSpool, type SpooledCall } from '../../../server/store/spool';
import { makeDecision, makeLifecycle, makeRun, makeSample, tempDir } from './records';

function finishedRunCalls(over: Parameters<typeof makeRun>[0] = {}): { runId: string; calls: SpooledCall[] } {
  // Recent: the store's retention trims old runs when it opens.
  const run = makeRun({ started_at: Date.now() - 60_000, ...over });
  const ended = { ...run, lifecycle: 'SUCCEEDED' as const, ended_at: run.started_at + 5, exit_code: 0, end_reason: 'exited' as const };
  return {
    runId: run.id,
    calls: [
      ['upsertRun', [run]],
      ['addLifecycle', [makeLifecycle(run)]],
      ['addSample', [makeSample(run.id, run.started_at + 1)]],
      ['addDecision', [makeDecision(run)]],
      ['upsertRun', [ended, { summary: 'run ended' }]],
    ],
  };
}

describe('store/spool', () => {
  let dir: { dir: string; cleanup: () => void };
  let db: string;
  beforeEach(() => {
    dir = tempDir();
    db = join(dir.dir, 'flowforge.db');
  });
  afterEach(() => dir.cleanup());

  it('writes one file per run, redacted like a store row, and nothing else (no temp file left)', async () => {
    const { calls } = finishedRunCalls({ argv: ['curl', '-H', 'Authorization: Bearer abcdef0123456789abcdef'], command: 'deploy --password=hunter2' });
    const file = await writeSpool(db, calls, Date.now());
    assert.deepEqual(readdirSync(spoolDirFor(db)), [file.slice(spoolDirFor(db).length + 1)]);
    const text = readFileSync(file, 'utf8');
    for (const secret of ['abcdef0123456789abcdef', 'hunter2']) assert.ok(!text.includes(secret), `${secret} reached the spool: ${text}`);
    assert.equal(existsSync(db), false, 'the store itself was not touched');
    assert.equal(pendingSpoolFiles(db), 1);
  });

  it('the next writer imports every spool in order, saves, then deletes them; a second open adds nothing', async () => {
    const first = finishedRunCalls({ started_at: Date.now() - 2_000 });
    const second = finishedRunCalls({ started_at: Date.now() - 1_000 });
    await writeSpool(db, first.calls, Date.now() - 1_500);
    await writeSpool(db, second.calls, Date.now());

    const { store, warnings } = await openStore({ path: db });
    assert.deepEqual(warnings, []);
    assert.deepEqual(store.listRuns({ limit: 10 }).items.map((r) => r.id).sort(), [first.runId, second.runId].sort());
    assert.equal(store.getRun(first.runId)!.lifecycle, 'SUCCEEDED');
    assert.equal(pendingSpoolFiles(db), 0, 'consumed once saved');
    await store.close();

    const again = await openStore({ path: db });
    assert.equal(again.store.listRuns({ limit: 10 }).items.length, 2);
    await again.store.close();
  });

  it('a spool already in the store (a crash between save and delete) is dropped, not applied twice', async () => {
    const { runId, calls } = finishedRunCalls();
    await writeSpool(db, calls, Date.now());
    const { store } = await openStore({ path: db });
    const journalBefore = store.timeline({ limit: 100 }).items.length;
    // The same file again, as if its delete had never happened.
    await writeSpool(db, calls, Date.now());
    const result = applySpool(store, db, true);
    assert.equal(result.applied.length, 0);
    assert.equal(result.duplicates.length, 1);
    discardSpool(result);
    assert.equal(store.timeline({ limit: 100 }).items.length, journalBefore, 'no row added twice');
    assert.equal(store.getRun(runId)!.lifecycle, 'SUCCEEDED');
    await store.close();
  });

  it('a reader shows spooled runs from its copy in memory and leaves the spool for the writer', async () => {
    const seeded = await openStore({ path: db });
    await seeded.store.close();
    const { runId, calls } = finishedRunCalls();
    await writeSpool(db, calls, Date.now());
    const { store } = await openStoreReadOnly(db);
    assert.ok(store.getRun(runId), 'the spooled run is visible to `flowforge incidents`/`timeline`');
    await store.close();
    assert.equal(pendingSpoolFiles(db), 1);
  });

  it('a file that is not a spool is moved aside with a warning naming both paths; the other spools still land', async () => {
    const good = finishedRunCalls();
    await writeSpool(db, good.calls, Date.now());
    const bad = join(spoolDirFor(db), '00000000T000000Z-000-1-deadbeef.json');
    writeFileSync(bad, '{"format":"flowforge-spool","version":1,"calls":[["dropTable');
    const { store, warnings } = await openStore({ path: db });
    assert.ok(store.getRun(good.runId));
    assert.equal(warnings.length, 1);
    assert.ok(warnings[0]!.includes(bad) && warnings[0]!.includes(`${bad}.corrupt`), warnings[0]);
    assert.ok(existsSync(`${bad}.corrupt`), 'kept for a person to look at');
    await store.close();
  });

  it('refuses a spool whose calls are not store writes (nothing in it is applied)', async () => {
    const file = join(spoolDirFor(db), '00000000T000000Z-000-1-cafebabe.json');
    const run = makeRun();
    await writeSpool(db, [['upsertRun', [run]]], Date.now());
    writeFileSync(file, JSON.stringify({ format: 'flowforge-spool', version: 1, pid: 1, created_at: 0, calls: [['upsertRun', [makeRun()]], ['close', [{}]]] }));
    const { store, warnings } = await openStore({ path: db });
    assert.match(warnings.join('\n'), /is not a store write/);
    assert.equal(store.listRuns({ limit: 10 }).items.length, 1, 'only the good spool landed');
    await store.close();
    rmSync(`${file}.corrupt`);
  });
});
