// The store as `flowforge run --db` users meet it: a garbage file is moved
// aside, and one store file has one writer at a time. Runs the built CLI
// (dist/cli.js; built here when missing).
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStoreReadOnly } from '../../../server/store';

const root = join(__dirname, '..', '..', '..');
const cli = join(root, 'dist', 'cli.js');

interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

function start(args: string[]): { child: ChildProcess; done: Promise<Result> } {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<Result>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal, stderr }));
  });
  return { child, done };
}

const flowforge = (args: string[]) => start(args).done;

async function lockedBy(lockPath: string, pid: number, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((JSON.parse(readFileSync(lockPath, 'utf8')) as { pid: number }).pid === pid) return;
    } catch {
      // not written yet
    }
    if (Date.now() > end) throw new Error(`pid ${pid} never took ${lockPath}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('store/flowforge run --db', function () {
  this.timeout(120_000);
  let dir: string;

  before(function () {
    if (!existsSync(cli)) {
      const build = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--quiet'], { cwd: root, encoding: 'utf8' });
      assert.equal(build.status, 0, build.stderr);
    }
    assert.ok(existsSync(cli), 'dist/cli.js is missing: server/cli.ts must exist and build');
    dir = mkdtempSync(join(tmpdir(), 'ff-cli-store-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('moves a garbage store aside, warns with both paths, exits 0 and leaves a fresh working store', async () => {
    const db = join(dir, 'garbage.db');
    writeFileSync(db, 'definitely not a database\n'.repeat(50));
    const r = await flowforge(['run', '--db', db, '--', 'true']);
    assert.equal(r.code, 0, r.stderr);
    const aside = readdirSync(dir).filter((f) => f.startsWith('garbage.db.corrupt-'));
    assert.equal(aside.length, 1);
    assert.ok(r.stderr.includes(db) && r.stderr.includes(join(dir, aside[0]!)), r.stderr);
    const { store, warnings } = await openStoreReadOnly(db);
    assert.deepEqual(warnings, []);
    assert.ok(store.listRuns({ limit: 5 }).items.length >= 1, 'the run was recorded in the fresh store');
    await store.close();
  });

  it('refuses a second writer naming the first one, then admits the next writer', async () => {
    const db = join(dir, 'shared.db');
    const first = start(['run', '--db', db, '--', 'sleep', '4']);
    await lockedBy(`${db}.lock`, first.child.pid!);
    const second = await flowforge(['run', '--db', db, '--', 'true']);
    assert.notEqual(second.code, 0);
    assert.match(second.stderr, new RegExp(`store ${db.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is in use by pid ${first.child.pid}`));
    assert.equal((await first.done).code, 0);
    const third = await flowforge(['run', '--db', db, '--', 'true']);
    assert.equal(third.code, 0, third.stderr);
  });

  it('is not blocked by the lock of a writer killed with SIGKILL', async () => {
    const db = join(dir, 'killed.db');
    const victim = start(['run', '--db', db, '--', 'sleep', '30']);
    await lockedBy(`${db}.lock`, victim.child.pid!);
    victim.child.kill('SIGKILL');
    assert.equal((await victim.done).signal, 'SIGKILL');
    assert.ok(existsSync(`${db}.lock`), 'the dead writer left its lock behind');
    const next = await flowforge(['run', '--db', db, '--', 'true']);
    assert.equal(next.code, 0, next.stderr);
  });
});
