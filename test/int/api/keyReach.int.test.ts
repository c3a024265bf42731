// A supervised job must not find anything that opens an admin or submit route:
// not in its own or any ancestor's environment or command line, not in any file
// under the state and runtime folders. The job is test/fixtures/keyProbe.js,
// run under `flowforge run`, under `flowforge serve` (keys given in its
// environment) and under the VS Code backend forked the way the extension
// forks it. Tokens a job is meant to hold (its job token, a per-run capability)
// are tried like everything else: they must open no admin or submit route.
import { strict as assert } from 'node:assert';
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateApiKey } from '../../../server/shared/apiKeyGen';
import { KEY_PROBE, type KeyProbeFindings } from '../../helpers/keyProbe';
import { REPO, waitFor } from '../../helpers/processes';

describe('keys out of a job’s reach', function () {
  this.timeout(120_000);
  let base: string;
  let state: string;
  let runtime: string;
  let env: NodeJS.ProcessEnv;
  const children: ChildProcess[] = [];

  before(() => {
    const build = spawnSync(process.execPath, ['scripts/build.mjs', '--quiet', '--only=node'], { cwd: REPO, encoding: 'utf8' });
    assert.equal(build.status, 0, build.stderr);
  });
  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'ff-reach-'));
    state = join(base, 'state');
    runtime = join(base, 'runtime');
    mkdirSync(runtime, { recursive: true, mode: 0o700 });
    env = { ...process.env, XDG_STATE_HOME: state, XDG_RUNTIME_DIR: runtime };
    for (const k of Object.keys(env)) if (k.startsWith('FLOWFORGE_')) delete env[k];
  });
  afterEach(() => {
    for (const c of children.splice(0)) c.kill('SIGKILL');
    rmSync(base, { recursive: true, force: true });
  });

  const outFile = () => join(base, 'findings.json');
  const probeArgs = () => [KEY_PROBE, outFile(), state, runtime];

  async function findings(): Promise<KeyProbeFindings> {
    await waitFor(() => existsSync(outFile()), 60_000, 100);
    await new Promise((r) => setTimeout(r, 100));
    return JSON.parse(readFileSync(outFile(), 'utf8')) as KeyProbeFindings;
  }

  function expectNothingOpens(f: KeyProbeFindings): void {
    assert.ok(f.urls.length >= 1, `the probe found no API to try: ${JSON.stringify(f)}`);
    assert.ok(f.ancestors.length >= 2, `the probe read too few ancestors: ${JSON.stringify(f.ancestors)}`);
    assert.ok(f.files >= 1, 'the probe read no file');
    assert.ok(f.candidates >= 10, `only ${f.candidates} candidates`);
    assert.deepEqual(f.opened, [], `a job found a key that opens the API: ${JSON.stringify(f.opened)}`);
  }

  async function startRun(body: object, url: string, key: string): Promise<void> {
    const res = await fetch(`${url}/runs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(res.status, 201, await res.text());
  }

  it('under flowforge run (key generated for the run): nothing opens the API', async () => {
    const run = spawn(process.execPath, [join(REPO, 'dist', 'cli.js'), 'run', '--api-port', '0', '--db', join(state, 'flowforge', 'run.db'), '--', process.execPath, ...probeArgs()], {
      cwd: REPO,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(run);
    let err = '';
    run.stderr!.on('data', (d) => (err += d));
    const f = await findings().catch((e) => assert.fail(`${e}: ${err}`));
    expectNothingOpens(f);
  });

  it('under flowforge serve (admin and submit keys in its environment): nothing opens the API', async () => {
    const admin = generateApiKey();
    const submit = generateApiKey();
    const serve = spawn(process.execPath, [join(REPO, 'dist', 'cli.js'), 'serve', '--api-port', '0', '--db', join(state, 'flowforge', 'serve.db')], {
      cwd: REPO,
      env: { ...env, FLOWFORGE_API_KEY: admin, FLOWFORGE_SUBMIT_KEY: submit },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(serve);
    let out = '';
    serve.stdout!.on('data', (d) => (out += d));
    await waitFor(() => /FlowForge API: (\S+)/.test(out), 30_000);
    const url = /FlowForge API: (\S+)/.exec(out)![1]!;
    assert.ok(!readFileSync(`/proc/${serve.pid}/environ`, 'latin1').includes(admin), 'the admin key is still in serve’s initial environment');
    await startRun({ command: process.execPath, args: probeArgs(), cwd: base }, url, submit);
    expectNothingOpens(await findings());
  });

  it('under the VS Code backend (forked with IPC, a key in the editor’s environment): nothing opens the API', async () => {
    const admin = generateApiKey();
    const backend = fork(join(REPO, 'dist', 'backend.js'), [], {
      cwd: REPO,
      env: { ...env, ELECTRON_RUN_AS_NODE: '1', FLOWFORGE_API_KEY: generateApiKey() },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    children.push(backend);
    const ready = new Promise<{ url: string }>((resolve, reject) => {
      backend.on('message', (m: { type: string; url?: string; message?: string }) => {
        if (m.type === 'ready') resolve({ url: m.url! });
        if (m.type === 'fatal') reject(new Error(m.message));
      });
    });
    backend.send({ type: 'init', admin_key: admin, store_path: join(state, 'flowforge', 'flowforge.db'), port: 0, log_level: 'info', parent_pid: process.pid });
    const { url } = await ready;
    await startRun({ command: process.execPath, args: probeArgs(), cwd: base }, `${url}/v1`, admin);
    expectNothingOpens(await findings());
    backend.send({ type: 'shutdown', reason: 'test over' });
  });
});
