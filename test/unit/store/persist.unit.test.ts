import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, rmdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeClock } from '../../../server/util/clock';
import { createLogger } from '../../../server/util/logger';
import { Saver, StoreWriteError, writeFileAtomic } from '../../../server/store/persist';
import { openStore } from '../../../server/store';
import { makeLifecycle, makeRun, tempStorePath, waitFor } from './records';

function capturingLogger() {
  const lines: string[] = [];
  return { lines, logger: createLogger((level, line) => lines.push(`${level}: ${line}`), 'debug') };
}

/** A saver over a fake clock that records the fake time of every export. */
function saverAt(path: string, clock: FakeClock) {
  const exportsAt: number[] = [];
  const { lines, logger } = capturingLogger();
  const saver = new Saver({
    path,
    clock,
    logger,
    debounceMs: 1000,
    maxDelayMs: 5000,
    exportBytes: () => {
      exportsAt.push(clock.now());
      return Buffer.from(`export ${exportsAt.length}`);
    },
  });
  return { saver, exportsAt, lines };
}

const settle = () => new Promise((r) => setTimeout(r, 20));

describe('store/persist', () => {
  const tmp = tempStorePath();
  let dir: string;
  beforeEach(() => (dir = tmp.dir));

  describe('writeFileAtomic', () => {
    it('replaces the file and leaves no temp file behind', async () => {
      const path = join(dir, 'a.db');
      writeFileSync(path, 'old');
      await writeFileAtomic(path, Buffer.from('new contents'));
      assert.equal(readFileSync(path, 'utf8'), 'new contents');
      assert.deepEqual(readdirSync(dir), ['a.db']);
    });

    it('keeps the old file and removes the temp file when the rename fails', async () => {
      const path = join(dir, 'a.db');
      mkdirSync(path);
      await assert.rejects(writeFileAtomic(path, Buffer.from('x')));
      assert.deepEqual(readdirSync(dir), ['a.db']);
    });
  });

  describe('Saver timing', () => {
    it('saves 1 s after the last change', async () => {
      const clock = new FakeClock();
      const { saver, exportsAt } = saverAt(join(dir, 's.db'), clock);
      const t0 = clock.now();
      saver.markDirty();
      clock.advance(500);
      saver.markDirty();
      clock.advance(999);
      assert.deepEqual(exportsAt, []);
      clock.advance(1);
      assert.deepEqual(exportsAt, [t0 + 1500]);
      await saver.flush();
      assert.equal(saver.snapshot().dirty, false);
      assert.equal(readFileSync(join(dir, 's.db'), 'utf8'), 'export 1');
    });

    it('never saves more than 5 s after the first unsaved change, however busy', async () => {
      const clock = new FakeClock();
      const { saver, exportsAt } = saverAt(join(dir, 's.db'), clock);
      const t0 = clock.now();
      for (let i = 0; i < 30; i++) {
        saver.markDirty();
        clock.advance(400);
        await settle();
      }
      assert.ok(exportsAt.length >= 2, `exports at ${exportsAt.map((t) => t - t0)}`);
      assert.equal(exportsAt[0], t0 + 5000);
      assert.ok(exportsAt.every((t, i) => i === 0 || t - exportsAt[i - 1]! <= 5400), 'each later save at most 5 s after its first change');
    });

    it('does nothing when nothing changed', async () => {
      const clock = new FakeClock();
      const { saver, exportsAt } = saverAt(join(dir, 's.db'), clock);
      clock.advance(60_000);
      await saver.flush();
      assert.deepEqual(exportsAt, []);
      assert.equal(existsSync(join(dir, 's.db')), false);
    });

    it('serialises concurrent flushes', async () => {
      const clock = new FakeClock();
      const { saver, exportsAt } = saverAt(join(dir, 's.db'), clock);
      saver.markDirty();
      await Promise.all([saver.flush(), saver.flush(), saver.flush()]);
      assert.equal(exportsAt.length, 1);
      assert.equal(saver.snapshot().saves, 1);
    });
  });

  describe('Saver failures', () => {
    it('reports, logs, keeps the change pending and retries with backoff until the write works', async () => {
      const clock = new FakeClock();
      const blocker = join(dir, 'not-a-folder');
      writeFileSync(blocker, 'a file where a folder should be');
      const path = join(blocker, 's.db');
      const { saver, exportsAt, lines } = saverAt(path, clock);
      saver.markDirty();
      await assert.rejects(saver.flush(), (err: Error) => err instanceof StoreWriteError && err.message.includes(path));
      const state = saver.snapshot();
      assert.equal(state.writable, false);
      assert.equal(state.dirty, true);
      assert.match(state.lastError!, /could not save the store/);
      assert.ok(lines.some((l) => l.startsWith('error: could not save the store')));

      const failedAt = clock.now();
      clock.advance(999);
      assert.equal(exportsAt.length, 1, 'no retry before the backoff');
      clock.advance(1);
      assert.equal(exportsAt.length, 2, 'retried without a new change');
      await settle();
      clock.advance(1999);
      assert.equal(exportsAt.length, 2, 'backoff doubled');
      unlinkSync(blocker);
      mkdirSync(blocker);
      clock.advance(1);
      assert.equal(exportsAt.at(-1), failedAt + 3000);
      await waitFor(() => saver.snapshot().writable, 'the retry to succeed');
      assert.equal(saver.snapshot().dirty, false);
      assert.equal(saver.snapshot().lastError, null);
      assert.ok(existsSync(path));
    });
  });

  describe('a store whose file becomes unwritable', () => {
    it('keeps its data, surfaces the error in health, and saves once the path works again', async () => {
      const path = join(dir, 'x.db');
      const { lines, logger } = capturingLogger();
      const { store } = await openStore({ path, logger });
      const run = makeRun();
      store.upsertRun(run, { summary: 'first' });
      await store.flush();

      // Root ignores permission bits, so make the target a folder: the rename over it fails for everyone.
      rmSync(path);
      mkdirSync(path);
      store.addLifecycle(makeLifecycle(run));
      await assert.rejects(store.flush(), /could not save the store to .*x\.db/);
      const h = store.health();
      assert.equal(h.writable, false);
      assert.equal(h.dirty, true);
      assert.match(h.lastError!, /x\.db/);
      assert.ok(lines.some((l) => l.startsWith('error:')));
      assert.equal(store.timeline({ limit: 10 }).items.length, 2, 'nothing dropped in memory');

      rmdirSync(path);
      await store.flush();
      assert.equal(store.health().writable, true);
      await store.close();
      const { store: again } = await openStore({ path });
      assert.equal(again.timeline({ limit: 10 }).items.length, 2);
      await again.close();
    });

    it('fails to open with a clear message when the folder cannot exist', async () => {
      const blocker = join(dir, 'file');
      writeFileSync(blocker, 'x');
      await assert.rejects(openStore({ path: join(blocker, 'x.db') }), /cannot create the folder for store .*file\/x\.db/);
    });
  });

  it('flushes pending changes on close', async () => {
    const path = join(dir, 'x.db');
    const { store } = await openStore({ path, debounceMs: 60_000, maxDelayMs: 60_000 });
    const run = makeRun();
    store.upsertRun(run, { summary: 'pending' });
    assert.equal(store.health().dirty, true);
    await store.close();
    assert.equal(existsSync(`${path}.lock`), false, 'lock released');
    const { store: again } = await openStore({ path });
    assert.equal(again.getRun(run.id)?.id, run.id);
    assert.equal(again.health().sizeBytes, statSync(path).size, 'health reports the loaded file before any save');
    await again.close();
  });
});
