import { strict as assert } from 'node:assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pidsMatching, REPO, waitFor } from '../../helpers/processes';

const CLI = join(REPO, 'dist', 'cli.js');

function cli(args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; out: () => string; err: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, out: () => out, err: () => err, exit };
}

async function get(url: string, key?: string): Promise<{ status: number; json: unknown }> {
  const res = await fetch(url, { headers: key ? { authorization: `Bearer ${key}` } : {} });
  return { status: res.status, json: await res.json().catch(() => null) };
}

describe('flowforge serve / run --api-port', function () {
  let state: string;
  let env: NodeJS.ProcessEnv;
  before(() => {
    const build = spawnSync(process.execPath, ['scripts/build.mjs', '--quiet', '--only=node'], { cwd: REPO, encoding: 'utf8' });
    assert.equal(build.status, 0, build.stderr);
  });
  beforeEach(() => {
    state = mkdtempSync(join(tmpdir(), 'ff-serve-'));
    env = { ...process.env, XDG_STATE_HOME: state };
    delete env.FLOWFORGE_API_KEY;
  });
  afterEach(() => rmSync(state, { recursive: true, force: true }));

  it('serve: prints the URL and a generated key once, writes a 0600 discovery file without the key, stops jobs on SIGTERM', async () => {
    const serve = cli(['serve', '--api-port', '0', '--db', join(state, 'serve.db')], env);
    try {
      await waitFor(() => /API key .*: (\S+)/.test(serve.out()), 30_000).catch(() => assert.fail(`no key printed: ${serve.out()} ${serve.err()}`));
      const url = /FlowForge API: (\S+)/.exec(serve.out())![1]!;
      const key = /API key .*: (\S+)/.exec(serve.out())![1]!;
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/v1$/);
      assert.equal((await get(`${url}/healthz`)).status, 200);
      assert.equal((await get(`${url}/runs`)).status, 401);
      assert.equal((await get(`${url}/runs`, key)).status, 200);

      const discovery = join(state, 'flowforge', 'api.json');
      assert.equal(statSync(discovery).mode & 0o777, 0o600);
      const info = JSON.parse(readFileSync(discovery, 'utf8'));
      assert.equal(info.url, url.replace(/\/v1$/, ''));
      assert.equal(info.pid, serve.child.pid);
      assert.equal(info.key, undefined, 'the printed key must not be stored');
      assert.ok(!serve.err().includes(key), 'the key reached the log');

      const token = `serve${Date.now()}`;
      const started = await fetch(`${url}/runs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ command: process.execPath, args: ['-e', 'setInterval(() => {}, 1000)', token], cwd: tmpdir() }),
      });
      assert.equal(started.status, 201);
      await waitFor(() => pidsMatching(token).length === 1, 10_000);
      serve.child.kill('SIGTERM');
      assert.equal(await serve.exit, 0, serve.err());
      assert.deepEqual(pidsMatching(token), [], 'a job outlived serve');
      assert.equal(existsSync(discovery), false, 'the discovery file is left behind');
    } finally {
      serve.child.kill('SIGKILL');
    }
  });

  it('serve refuses a weak FLOWFORGE_API_KEY with a clear message', async () => {
    const serve = cli(['serve', '--db', join(state, 'weak.db')], { ...env, FLOWFORGE_API_KEY: 'short' });
    assert.equal(await serve.exit, 2);
    assert.match(serve.err(), /at least 16 characters/);
  });

  it('run --api-port 0: serves the API while the job runs, the 0600 discovery file holds no key (a job could read it)', async () => {
    // A file left by a run that was killed outright is cleaned up by the next run.
    const stale = join(state, 'flowforge', 'api', 'run-999999.json');
    mkdirSync(dirname(stale), { recursive: true });
    writeFileSync(stale, '{}');
    const key = `ffk_test_${Date.now()}_run_key`;
    const run = cli(['run', '--api-port', '0', '--db', join(state, 'run.db'), '--', process.execPath, '-e', 'setTimeout(() => {}, 4000)'], { ...env, FLOWFORGE_API_KEY: key });
    try {
      const dir = join(state, 'flowforge', 'api');
      const file = await waitFor(() => existsSync(dir) && readdirSync(dir).find((f) => f.startsWith('run-') && f !== 'run-999999.json'), 30_000);
      assert.equal(existsSync(stale), false, 'the stale discovery file is still there');
      const path = join(dir, file as string);
      assert.equal(statSync(path).mode & 0o777, 0o600);
      const info = JSON.parse(readFileSync(path, 'utf8'));
      assert.equal(info.key, undefined, 'the discovery file holds a key');
      assert.ok(!readFileSync(path, 'utf8').includes(key));
      assert.equal((await get(`${info.url}/v1/runs`)).status, 401);
      const runs = await get(`${info.url}/v1/runs`, key);
      assert.equal(runs.status, 200);
      assert.equal((runs.json as { items: { source: string }[] }).items[0]!.source, 'cli');
      assert.equal(await run.exit, 0, run.err());
      assert.ok(!run.err().includes(key) && !run.out().includes(key), 'the key was printed');
      assert.match(run.err(), /API on http:\/\/127\.0\.0\.1:\d+ \(admin key from FLOWFORGE_API_KEY\)/);
      assert.equal(existsSync(path), false);
    } finally {
      run.child.kill('SIGKILL');
    }
  });
});
