// `flowforge run` as a user runs it: the built CLI, real jobs (the reference
// corpus where the acceptance names it), real signals.
import { strict as assert } from 'node:assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killMatching, pidsMatching, REPO, requireSharedCorpus, SHARED_CORPUS, waitFor } from '../../helpers/processes';

const CLI = join(REPO, 'dist', 'cli.js');

interface Started {
  child: ChildProcess;
  output: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

const running = new Set<ChildProcess>();

function startCli(args: string[], cwd = REPO): Started {
  const child = spawn(process.execPath, [CLI, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.on('exit', () => running.delete(child));
  let out = '';
  child.stdout!.on('data', (d) => (out += String(d)));
  child.stderr!.on('data', (d) => (out += String(d)));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  return { child, output: () => out, exit };
}

describe('flowforge run (CLI)', function () {
  let dir: string;
  before(() => {
    if (spawnSync(process.execPath, ['scripts/build.mjs', '--quiet'], { cwd: REPO, stdio: 'inherit' }).status !== 0)
      throw new Error('build failed');
  });
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'ff-run-'))));
  afterEach(async () => {
    // A test that failed half way must not leave a supervisor (and its job) running.
    for (const child of running) child.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, running.size ? 500 : 0));
    rmSync(dir, { recursive: true, force: true });
  });

  const db = () => join(dir, 'store.db');
  const summary = () => JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));

  it('passes output through and exits with the job\'s own code', async () => {
    const r = startCli(['run', '--no-api', '--db', db(), '--', 'python3', '-c', "print('hi'); raise SystemExit(3)"]);
    const { code } = await r.exit;
    assert.equal(code, 3);
    assert.match(r.output(), /^hi$/m);
  });

  it('npx flowforge works from the project: prints hi and exits 0', async function () {
    const r = spawnSync('npx', ['flowforge', 'run', '--no-api', '--db', db(), '--', 'python3', '-c', "print('hi')"], {
      cwd: REPO,
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^hi$/m);
  });

  it('a command that cannot start: a clear message and exit 127', async () => {
    const r = startCli(['run', '--no-api', '--db', db(), '--summary-json', join(dir, 'summary.json'), '--', 'no-such-binary']);
    const { code } = await r.exit;
    assert.equal(code, 127);
    assert.match(r.output(), /could not start 'no-such-binary': command not found/);
    assert.equal(summary().outcome, 'failed_to_start');
  });

  it('a bad flag value is refused with a message naming it', async () => {
    const r = startCli(['run', '--max-cpu', 'lots', '--', 'true']);
    const { code } = await r.exit;
    assert.equal(code, 2);
    assert.match(r.output(), /--max-cpu must be a number/);
  });

  it('writes exactly the summary keys of the contract', async () => {
    const r = startCli(['run', '--no-api', '--db', db(), '--summary-json', join(dir, 'summary.json'), '--', 'true']);
    assert.equal((await r.exit).code, 0);
    assert.deepEqual(Object.keys(summary()).sort(), [
      'action', 'alerts', 'duration_s', 'exit_code', 'first_flag_s', 'incident_ids', 'intervened', 'intervened_after_s',
      'outcome', 'peak_cpu_percent', 'peak_rss_mb', 'rules', 'run_id', 'signal',
    ]);
    assert.equal(summary().outcome, 'exited');
    assert.equal(summary().exit_code, 0);
  });

  describe('with the reference corpus', function () {
    before(function () {
      requireSharedCorpus(this);
    });
    afterEach(() => ['R06_fanout_spin', 'R07_escaped_grandchild', 'R08_sigterm_ignorer'].forEach(killMatching));

    it('SIGINT stops a SIGTERM-ignoring job within grace + 1 s: stopped_by_user, exit 130', async () => {
      const r = startCli(
        ['run', '--no-api', '--on-runaway', 'alert', '--db', db(), '--summary-json', join(dir, 'summary.json'), '--', 'python3', 'R08_sigterm_ignorer.py'],
        SHARED_CORPUS,
      );
      await waitFor(() => pidsMatching('R08_sigterm_ignorer').length > 0, 10_000);
      await new Promise((res) => setTimeout(res, 1000));
      const sentAt = Date.now();
      r.child.kill('SIGINT');
      await waitFor(() => pidsMatching('R08_sigterm_ignorer').length === 0, 3000 + 1000);
      const gone = Date.now() - sentAt;
      const { code } = await r.exit;
      assert.equal(code, 130);
      assert.equal(summary().outcome, 'stopped_by_user');
      assert.ok(gone <= 4000, `job gone after ${gone} ms`);
    });

    it('SIGTERM stops the job and its escaped grandchild, without hanging on the pipe it holds', async () => {
      const r = startCli(
        ['run', '--no-api', '--on-runaway', 'alert', '--db', db(), '--summary-json', join(dir, 'summary.json'), '--', 'python3', 'R07_escaped_grandchild.py'],
        SHARED_CORPUS,
      );
      await waitFor(() => pidsMatching('R07_escaped_grandchild.py escapee').length > 0, 10_000);
      await new Promise((res) => setTimeout(res, 1500));
      const sentAt = Date.now();
      r.child.kill('SIGTERM');
      const { code, at } = await r.exit;
      assert.equal(code, 130);
      assert.ok(at - sentAt < 3000 + 1500, `flowforge took ${at - sentAt} ms to exit`);
      assert.deepEqual(pidsMatching('R07_escaped_grandchild'), []);
      assert.equal(summary().outcome, 'stopped_by_user');
    });

    it('SIGKILL to flowforge: the reaper ends every process of the job within 3 s', async () => {
      const r = startCli(['run', '--no-api', '--on-runaway', 'alert', '--db', db(), '--', 'python3', 'R06_fanout_spin.py'], SHARED_CORPUS);
      await waitFor(() => pidsMatching('R06_fanout_spin').length >= 3, 10_000);
      const killedAt = Date.now();
      r.child.kill('SIGKILL');
      await waitFor(() => pidsMatching('R06_fanout_spin').length === 0, 3000);
      assert.ok(Date.now() - killedAt <= 3000);
    });

    it('records the tree CPU of R06 (spinning children, idle parent) and stops it', async function () {
      const r = startCli(['run', '--no-api', '--db', db(), '--summary-json', join(dir, 'summary.json'), '--', 'python3', 'R06_fanout_spin.py'], SHARED_CORPUS);
      const { code } = await r.exit;
      const s = summary();
      assert.equal(code, 137, r.output());
      assert.equal(s.outcome, 'killed');
      // Two spinners on two cores give ~200%; a machine shared with other work gives them less.
      assert.ok(s.peak_cpu_percent >= 60, `peak ${s.peak_cpu_percent}%`);
      await waitFor(() => pidsMatching('R06_fanout_spin').length === 0, 5000);
    });
  });
});
