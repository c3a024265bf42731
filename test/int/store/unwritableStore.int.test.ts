// A store that cannot be written never stops the user's command: the job runs,
// FlowForge warns once (no stack trace) and records in memory. Paths under
// /proc used to make mkdir's recursion spin at 100% CPU for ever; under /sys
// the folder cannot be made (EPERM, even for root); under a file it is ENOTDIR.
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from '../../helpers/processes';

const CLI = join(REPO, 'dist', 'cli.js');

function runCli(args: string[], timeoutMs: number): Promise<{ code: number | null; out: string; err: string; timedOut: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let timedOut = false;
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err, timedOut });
    });
  });
}

describe('flowforge run with a store it cannot write', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    const build = spawnSync(process.execPath, ['scripts/build.mjs', '--quiet', '--only=node'], { cwd: REPO, encoding: 'utf8' });
    assert.equal(build.status, 0, build.stderr);
  });
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'ff-unwritable-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const cases: [string, () => string][] = [
    ['under /proc (used to spin for ever)', () => `/proc/flowforge-nope-${process.pid}/x.db`],
    ['in a folder it may not create (/sys)', () => `/sys/flowforge-nope-${process.pid}/x.db`],
    ['below a regular file (ENOTDIR)', () => {
      writeFileSync(join(dir, 'plain'), 'x');
      return join(dir, 'plain', 'x.db');
    }],
  ];
  for (const [what, dbPath] of cases) {
    it(`--db ${what}: the command runs and exits with its own code, with one clear warning`, async () => {
      const db = dbPath();
      const r = await runCli(['run', '--no-api', '--db', db, '--', process.execPath, '-e', 'console.log("job ran"); process.exit(3)'], 30_000);
      assert.equal(r.timedOut, false, `flowforge hung: ${r.err}`);
      assert.match(r.out, /job ran/, `the command never ran: ${r.err}`);
      assert.equal(r.code, 3, r.err);
      assert.match(r.err, /recording in memory only/);
      assert.ok(r.err.includes(db.split('/').slice(0, 3).join('/')), `the warning does not name the path: ${r.err}`);
      assert.ok(!/\n\s+at /.test(r.err), `a stack trace was printed: ${r.err}`);
    });
  }
});
