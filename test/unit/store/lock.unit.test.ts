import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { openStore, StoreLockedError } from '../../../server/store';
import { processStartTicks, type LockHolder } from '../../../server/store/lock';
import { tempStorePath } from './records';

/** The pid of a process that has already exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

function writeLock(dbPath: string, over: Partial<LockHolder>): void {
  const holder: LockHolder = {
    pid: process.pid,
    startedAt: Date.now() - 60_000,
    procStart: processStartTicks(process.pid),
    command: 'flowforge run',
    hostname: hostname(),
    acquiredAt: Date.now() - 50_000,
    ...over,
  };
  writeFileSync(`${dbPath}.lock`, JSON.stringify(holder));
}

const lockOf = (dbPath: string) => JSON.parse(readFileSync(`${dbPath}.lock`, 'utf8')) as LockHolder;

describe('store/lock', () => {
  const tmp = tempStorePath();
  let path: string;
  beforeEach(() => (path = tmp.path));

  it('refuses a second writer, naming the holder, and admits the next one after close', async () => {
    const { store } = await openStore({ path, lockCommand: 'flowforge run' });
    const holder = lockOf(path);
    assert.equal(holder.pid, process.pid);
    assert.equal(holder.command, 'flowforge run');
    await assert.rejects(openStore({ path }), (err: unknown) => {
      assert.ok(err instanceof StoreLockedError);
      assert.equal(err.holderPid, process.pid);
      assert.equal(err.lockPath, `${path}.lock`);
      assert.equal(err.holderStartedAt, holder.startedAt);
      assert.match(err.message, new RegExp(`store ${path} is in use by pid ${process.pid} \\(flowforge run, started [0-9:]{8}\\); wait for it to finish or use --db to pick another file`));
      return true;
    });
    await store.close();
    assert.equal(existsSync(`${path}.lock`), false);
    const { store: next } = await openStore({ path });
    await next.close();
  });

  it('recovers a lock whose process is gone', async () => {
    const dead = deadPid();
    writeLock(path, { pid: dead, procStart: '1' });
    const { store } = await openStore({ path });
    assert.equal(lockOf(path).pid, process.pid);
    await store.close();
  });

  it('recovers a lock whose pid now belongs to another process (pid reuse)', async function () {
    if (process.platform !== 'linux') this.skip();
    writeLock(path, { pid: process.pid, procStart: '1' });
    const { store } = await openStore({ path });
    assert.notEqual(lockOf(path).procStart, '1');
    await store.close();
  });

  it("respects a lock from another host, whose pid it cannot check", async () => {
    writeLock(path, { pid: deadPid(), hostname: 'build-server-7' });
    await assert.rejects(openStore({ path }), /in use by pid \d+ on host build-server-7/);
  });

  it('treats an unreadable lock as being written right now, and as stale once it is old', async () => {
    writeFileSync(`${path}.lock`, '');
    await assert.rejects(openStore({ path }), /being opened by another process right now/);
    const old = (Date.now() - 60_000) / 1000;
    utimesSync(`${path}.lock`, old, old);
    const { store } = await openStore({ path });
    assert.equal(lockOf(path).pid, process.pid);
    await store.close();
  });

  it('does not remove a lock that another writer took over', async () => {
    const { store } = await openStore({ path });
    writeLock(path, { pid: deadPid() + 1_000_000, command: 'someone else' });
    await store.close();
    assert.equal(lockOf(path).command, 'someone else');
  });
});
