// `flowforge api`: calls the API with a key it reads itself (environment or a
// 0600 key file), so the key never appears on a command line.
import { strict as assert } from 'node:assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateApiKey } from '../../../server/shared/apiKeyGen';
import { REPO, waitFor } from '../../helpers/processes';

const CLI = join(REPO, 'dist', 'cli.js');

function api(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string; err: string; cmdlines: string[] }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'api', ...args], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const cmdlines: string[] = [];
    try {
      cmdlines.push(readFileSync(`/proc/${child.pid}/cmdline`, 'latin1'));
    } catch {
      /* already gone */
    }
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => resolve({ code, out, err, cmdlines }));
  });
}

describe('flowforge api', function () {
  this.timeout(60_000);
  let state: string;
  let env: NodeJS.ProcessEnv;
  let serve: ChildProcess;
  const key = generateApiKey();
  before(async () => {
    const build = spawnSync(process.execPath, ['scripts/build.mjs', '--quiet', '--only=node'], { cwd: REPO, encoding: 'utf8' });
    assert.equal(build.status, 0, build.stderr);
    state = mkdtempSync(join(tmpdir(), 'ff-apicmd-'));
    env = { ...process.env, XDG_STATE_HOME: state };
    for (const k of Object.keys(env)) if (k.startsWith('FLOWFORGE_')) delete env[k];
    serve = spawn(process.execPath, [CLI, 'serve', '--api-port', '0', '--db', join(state, 'serve.db')], { cwd: REPO, env: { ...env, FLOWFORGE_API_KEY: key }, stdio: 'ignore' });
    await waitFor(() => existsSync(join(state, 'flowforge', 'api.json')), 30_000);
  });
  after(() => {
    serve.kill('SIGTERM');
    rmSync(state, { recursive: true, force: true });
  });

  it('GET with the key from FLOWFORGE_API_KEY, URL from the discovery file; the key is not on its command line', async () => {
    const r = await api(['GET', '/v1/runs'], { ...env, FLOWFORGE_API_KEY: key });
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(JSON.parse(r.out).items, []);
    for (const c of r.cmdlines) assert.ok(!c.includes(key));
  });

  it('POST --data with the key from a 0600 key file starts a run; a key file others can read is refused', async () => {
    const file = join(state, 'key');
    writeFileSync(file, key + '\n', { mode: 0o600 });
    const r = await api(['POST', '/runs', '--key-file', file, '--data', JSON.stringify({ command: process.execPath, args: ['-e', '1'], cwd: tmpdir() })], env);
    assert.equal(r.code, 0, r.err);
    assert.match(JSON.parse(r.out).run.id, /^run_/);
    chmodSync(file, 0o644);
    const refused = await api(['GET', '/v1/runs', '--key-file', file], env);
    assert.equal(refused.code, 2);
    assert.match(refused.err, /readable by others .*chmod 600/);
  });

  it('a wrong key: exit 1 and the problem on stderr; no key at all: a usage error that says where a key comes from', async () => {
    const wrong = await api(['GET', '/v1/runs'], { ...env, FLOWFORGE_API_KEY: generateApiKey() });
    assert.equal(wrong.code, 1);
    assert.match(wrong.err, /401/);
    const none = await api(['GET', '/v1/runs'], env);
    assert.equal(none.code, 2);
    assert.match(none.err, /FLOWFORGE_API_KEY/);
  });

  it('serve takes its key from FLOWFORGE_API_KEY_FILE (0600): the key is in no environment block; a file others can read is refused', async () => {
    const own = mkdtempSync(join(tmpdir(), 'ff-apicmd-file-'));
    const file = join(own, 'key');
    const fileKey = generateApiKey();
    writeFileSync(file, fileKey + '\n', { mode: 0o600 });
    const ownEnv = { ...env, XDG_STATE_HOME: own, FLOWFORGE_API_KEY_FILE: file };
    const s2 = spawn(process.execPath, [CLI, 'serve', '--api-port', '0', '--db', join(own, 's.db')], { cwd: REPO, env: ownEnv, stdio: 'ignore' });
    try {
      await waitFor(() => existsSync(join(own, 'flowforge', 'api.json')), 30_000);
      assert.ok(!readFileSync(`/proc/${s2.pid}/environ`, 'latin1').includes(fileKey));
      const r = await api(['GET', '/v1/runs'], ownEnv);
      assert.equal(r.code, 0, r.err);
      chmodSync(file, 0o640);
      const refused = spawnSync(process.execPath, [CLI, 'serve', '--db', join(own, 't.db')], { cwd: REPO, env: ownEnv, encoding: 'utf8', timeout: 30_000 });
      assert.equal(refused.status, 2, refused.stderr);
      assert.match(refused.stderr, /readable by others/);
    } finally {
      s2.kill('SIGTERM');
      rmSync(own, { recursive: true, force: true });
    }
  });
});
