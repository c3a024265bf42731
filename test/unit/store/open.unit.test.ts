import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { FakeClock } from '../../../server/util/clock';
import { defaultStorePath, openStore, openStoreReadOnly, StoreIncompatibleError } from '../../../server/store';
import { loadSqlJs, locateSqlWasm, sqlWasmCandidates } from '../../../server/store/sqljs';
import { SCHEMA_VERSION } from '../../../server/store/schema';
import { makeDecision, makeIncident, makeLifecycle, makeRun, tempStorePath } from './records';

const V1_SQL = readFileSync(join(__dirname, 'fixtures', 'schema-v1.sql'), 'utf8');

async function userVersion(path: string): Promise<number> {
  const SQL = await loadSqlJs();
  const db = new SQL.Database(readFileSync(path));
  try {
    return Number(db.exec('PRAGMA user_version')[0]!.values[0]![0]);
  } finally {
    db.close();
  }
}

describe('store/open', () => {
  const tmp = tempStorePath();
  let dir: string;
  let path: string;
  beforeEach(() => ({ dir, path } = tmp));

  describe('migrations', () => {
    it('opens a database written by schema version 1 and keeps its data', async () => {
      const SQL = await loadSqlJs();
      const db = new SQL.Database();
      db.exec(V1_SQL);
      const run = makeRun({ owner: 'alice', workspace_id: 'ws1' });
      const inc = makeIncident(run);
      const dec = makeDecision(run, { incident_id: inc.id });
      const lc = makeLifecycle(run);
      db.run('INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?)', [run.id, run.job_id, run.workspace_id, run.owner, run.started_at, null, JSON.stringify(run)]);
      db.run('INSERT INTO incidents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)', [inc.id, inc.run_id, inc.job_id, inc.workspace_id, inc.status, inc.kind, inc.opened_at, inc.updated_at, JSON.stringify(inc)]);
      db.run("INSERT INTO journal (t, kind, ref_id, run_id, incident_id, summary) VALUES (?, 'decision', ?, ?, ?, 'kill')", [dec.t, dec.id, run.id, inc.id]);
      db.run('INSERT INTO decisions VALUES (1, ?, ?, ?, ?, ?)', [dec.id, run.id, dec.t, dec.action, JSON.stringify(dec)]);
      db.run("INSERT INTO journal (t, kind, ref_id, run_id, summary) VALUES (?, 'lifecycle', ?, ?, 'RUNNING')", [lc.t, lc.id, run.id]);
      db.run('INSERT INTO lifecycle VALUES (2, ?, ?, ?)', [lc.id, lc.phase, JSON.stringify(lc)]);
      writeFileSync(path, db.export());
      db.close();
      assert.equal(await userVersion(path), 1);

      const { store, warnings } = await openStore({ path, clock: new FakeClock(run.started_at + 60_000) });
      assert.deepEqual(warnings, []);
      assert.equal(store.health().schemaVersion, SCHEMA_VERSION);
      assert.equal(await userVersion(path), SCHEMA_VERSION, 'the migrated file is saved right away');
      assert.deepEqual(store.getRun(run.id), run);
      assert.deepEqual(store.getIncident(inc.id), inc);
      assert.deepEqual(store.getDecision(dec.id), dec);
      assert.deepEqual(store.timeline({ limit: 10 }).items.map((e) => [e.seq, e.kind, e.data]), [[2, 'lifecycle', lc], [1, 'decision', dec]]);
      // Version 2 denormalised the owner: old rows must be found by owner too.
      assert.deepEqual(store.listIncidents({ limit: 10, owner: 'alice' }).items.map((i) => i.id), [inc.id]);
      assert.equal(store.timeline({ limit: 10, owner: 'alice' }).items.length, 2);
      assert.equal(store.addLifecycle(makeLifecycle(run)).seq, 3);
      await store.close();
    });

    it('refuses a store from a newer FlowForge without touching it', async () => {
      const SQL = await loadSqlJs();
      const db = new SQL.Database();
      db.exec(`${V1_SQL}; PRAGMA user_version = ${SCHEMA_VERSION + 1};`);
      const bytes = Buffer.from(db.export());
      db.close();
      writeFileSync(path, bytes);
      await assert.rejects(openStore({ path }), (err: Error) => err instanceof StoreIncompatibleError && /newer than this FlowForge understands/.test(err.message));
      assert.deepEqual(readFileSync(path), bytes);
      assert.equal(existsSync(`${path}.lock`), false, 'the lock is released after a refusal');
    });
  });

  describe('files that are not a valid store', () => {
    const corruptFiles = () => readdirSync(dir).filter((f) => f.startsWith('x.db.corrupt-'));

    it('moves garbage aside, warns with both paths, and starts a fresh working store', async () => {
      writeFileSync(path, 'this is not a database, just some bytes that happen to sit here');
      const { store, warnings } = await openStore({ path });
      const aside = corruptFiles();
      assert.equal(aside.length, 1);
      assert.match(aside[0]!, /^x\.db\.corrupt-\d{8}T\d{6}Z$/);
      assert.equal(warnings.length, 1);
      assert.ok(warnings[0]!.includes(path) && warnings[0]!.includes(join(dir, aside[0]!)), warnings[0]);
      assert.equal(readFileSync(join(dir, aside[0]!), 'utf8').slice(0, 12), 'this is not ');
      store.upsertRun(makeRun(), { summary: 'works' });
      await store.close();
      const { store: again, warnings: none } = await openStore({ path });
      assert.deepEqual(none, []);
      assert.equal(again.timeline({ limit: 5 }).items.length, 1);
      await again.close();
    });

    it('moves a truncated database aside', async () => {
      const { store } = await openStore({ path });
      for (let i = 0; i < 200; i++) store.upsertRun(makeRun({ name: `job ${i} `.repeat(20) }), { summary: 'x' });
      await store.close();
      const full = readFileSync(path);
      writeFileSync(path, full.subarray(0, Math.floor(full.length / 2)));
      const { store: fresh, warnings } = await openStore({ path });
      assert.match(warnings[0]!, /not a valid database/);
      assert.equal(corruptFiles().length, 1);
      assert.equal(fresh.listRuns({ limit: 5 }).items.length, 0);
      await fresh.close();
    });

    it('keeps every moved-aside file when it happens twice in one second', async () => {
      for (let i = 0; i < 2; i++) {
        writeFileSync(path, `garbage ${i}`);
        const { store } = await openStore({ path });
        await store.close();
      }
      assert.equal(corruptFiles().length, 2);
    });

    it("leaves another application's SQLite database alone", async () => {
      const SQL = await loadSqlJs();
      const db = new SQL.Database();
      db.exec('CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES (\'keep me\');');
      const bytes = Buffer.from(db.export());
      db.close();
      writeFileSync(path, bytes);
      await assert.rejects(openStore({ path }), /not a FlowForge store; it was left untouched/);
      assert.deepEqual(readFileSync(path), bytes);
      assert.deepEqual(corruptFiles(), []);
    });

    it('treats an empty file as a new store, without a warning', async () => {
      writeFileSync(path, '');
      const { store, warnings } = await openStore({ path });
      assert.deepEqual(warnings, []);
      await store.close();
      assert.equal(await userVersion(path), SCHEMA_VERSION);
    });

    it('explains a folder given as the store path', async () => {
      mkdirSync(path);
      await assert.rejects(openStore({ path }), /is a folder; give a file path/);
    });

    it('read-only: reports a corrupt file without moving it', async () => {
      writeFileSync(path, 'garbage');
      await assert.rejects(openStoreReadOnly(path), /not a valid database .* moves it aside/);
      assert.equal(readFileSync(path, 'utf8'), 'garbage');
      assert.deepEqual(corruptFiles(), []);
    });
  });

  describe('options', () => {
    it('rejects bad save timing and retention settings', async () => {
      await assert.rejects(openStore({ path: null, debounceMs: 0 }), /debounceMs/);
      await assert.rejects(openStore({ path: null, debounceMs: 2000, maxDelayMs: 1000 }), /debounceMs <= maxDelayMs/);
      await assert.rejects(openStore({ path: null, retention: { maxAgeDays: -1 } }), /maxAgeDays must be a positive number/);
    });

    it('keeps an in-memory store off the disk', async () => {
      const { store } = await openStore({ path: null });
      store.upsertRun(makeRun(), { summary: 'x' });
      await store.flush();
      assert.equal(store.health().path, null);
      assert.equal(store.health().dirty, false);
      await store.close();
    });
  });

  describe('defaultStorePath', () => {
    it('follows XDG_STATE_HOME on Linux, with the usual fallback', () => {
      assert.equal(defaultStorePath({ XDG_STATE_HOME: '/x/state' }, 'linux', '/home/u'), '/x/state/flowforge/flowforge.db');
      assert.equal(defaultStorePath({ XDG_STATE_HOME: 'relative' }, 'linux', '/home/u'), '/home/u/.local/state/flowforge/flowforge.db');
      assert.equal(defaultStorePath({}, 'linux', '/home/u'), '/home/u/.local/state/flowforge/flowforge.db');
    });
    it('uses the platform conventions elsewhere', () => {
      assert.equal(defaultStorePath({}, 'darwin', '/Users/u'), '/Users/u/Library/Application Support/flowforge/flowforge.db');
      assert.match(defaultStorePath({ LOCALAPPDATA: 'C:\\Users\\u\\AppData\\Local' }, 'win32', 'C:\\Users\\u'), /AppData.Local.flowforge.flowforge\.db$/);
    });
  });

  describe('sql.js wasm', () => {
    it('prefers the copy beside the bundle, then node_modules', () => {
      const bundleDir = join(dir, 'dist');
      mkdirSync(bundleDir);
      const candidates = sqlWasmCandidates(bundleDir);
      assert.equal(candidates[0], join(bundleDir, 'sql-wasm.wasm'));
      assert.match(locateSqlWasm(candidates), /node_modules\/sql\.js\/dist\/sql-wasm\.wasm$/);
      writeFileSync(join(bundleDir, 'sql-wasm.wasm'), 'x');
      assert.equal(locateSqlWasm(sqlWasmCandidates(bundleDir)), join(bundleDir, 'sql-wasm.wasm'));
    });
    it('names every place it looked when the wasm is missing', () => {
      assert.throws(() => locateSqlWasm(['/nope/a.wasm', '/nope/b.wasm']), /cannot find sql-wasm\.wasm \(looked in \/nope\/a\.wasm, \/nope\/b\.wasm\)/);
    });
  });
});
