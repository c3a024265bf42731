// When the reader of flowforge's stdout goes away (`flowforge run … | head -1`)
// and when a supervisor dies without recording a run's end. Real shell
// pipelines, real SIGPIPE, the real store file.
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Run } from '../../../server/shared/protocol/domain';
import { openStoreReadOnly } from '../../../server/store';
import { REPO, waitFor } from '../../helpers/processes';

const CLI = join(REPO, 'dist', 'cli.js');

/** Runs `flowforge run --db DB -- JOB... | head -1` in bash; returns head's output, flowforge's stderr and exit status. */
function pipeToHead(db: string, job: string[]): { out: string; err: string; status: number } {
  const script = 'node "$0" run --db "$1" -- "${@:2}" | head -1; echo "flowforge-status=${PIPESTATUS[0]}" >&2';
  const r = spawnSync('bash', ['-c', script, CLI, db, ...job], { encoding: 'utf8', timeout: 60_000 });
  const status = Number(/flowforge-status=(\d+)/.exec(r.stderr)?.[1] ?? NaN);
  return { out: r.stdout, err: r.stderr, status };
}

async function runsIn(db: string): Promise<Run[]> {
  const { store } = await openStoreReadOnly(db);
  try {
    return store.listRuns({ limit: 50 }).items;
  } finally {
    await store.close();
  }
}

describe('flowforge run: a closed output pipe and a lost supervisor', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    if (spawnSync(process.execPath, ['scripts/build.mjs', '--quiet'], { cwd: REPO, stdio: 'inherit' }).status !== 0) throw new Error('build failed');
  });
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'ff-pipe-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('| head -1: no crash; the job meets the closed pipe as without FlowForge (SIGPIPE, 141) and its run is recorded as ended', async () => {
    const db = join(dir, 'store.db');
    const r = pipeToHead(db, ['seq', '1', '50000000']);
    assert.equal(r.out, '1\n');
    assert.doesNotMatch(r.err, /EPIPE|unexpected error|at .*\.js:\d+/, r.err);
    assert.equal(r.status, 141, r.err);
    const [run] = await runsIn(db);
    assert.ok(run, 'the run was recorded');
    assert.equal(run.lifecycle, 'STOPPED');
    assert.equal(run.end_reason, 'exited');
    assert.equal(run.signal, 'SIGPIPE');
    assert.ok(run.ended_at !== null);
  });

  it('| head -1: a job that no longer writes to stdout runs to its end, its stderr still relayed', async () => {
    const db = join(dir, 'store.db');
    const job = ['sh', '-c', 'seq 1 200000; sleep 0.5; echo finished-on-stderr >&2; exit 3'];
    const r = pipeToHead(db, job);
    assert.equal(r.out, '1\n');
    // seq dies of SIGPIPE inside the job's shell; the shell itself goes on to its end.
    assert.match(r.err, /finished-on-stderr/);
    assert.equal(r.status, 3, r.err);
    const [run] = await runsIn(db);
    assert.equal(run!.end_reason, 'exited');
    assert.equal(run!.exit_code, 3);
  });

  it('a run left open by a supervisor killed with SIGKILL becomes supervisor_lost when the store is next opened', async () => {
    const db = join(dir, 'store.db');
    const victim = spawn(process.execPath, [CLI, 'run', '--db', db, '--', 'sleep', '60'], { stdio: 'ignore' });
    const exited = new Promise((r) => victim.on('exit', r));
    // Wait until the RUNNING row is saved (saves are debounced).
    await waitFor(async () => (await runsIn(db).catch(() => [])).some((r) => r.lifecycle === 'RUNNING') || null, 20_000, 200);
    victim.kill('SIGKILL');
    await exited;
    const before = await runsIn(db);
    assert.equal(before[0]!.ended_at, null, 'the dead supervisor left the run open');

    const next = spawnSync(process.execPath, [CLI, 'run', '--db', db, '--', 'true'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(next.status, 0, next.stderr);
    assert.match(next.stderr, /1 run\(s\) .* supervisor_lost/);
    const lost = (await runsIn(db)).find((r) => r.id === before[0]!.id)!;
    assert.equal(lost.end_reason, 'supervisor_lost');
    assert.equal(lost.lifecycle, 'FAILED');
    assert.ok(lost.ended_at !== null && lost.ended_at >= lost.started_at);
  });
});
