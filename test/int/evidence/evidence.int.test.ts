// `flowforge evidence export|verify` as a user meets them: the built CLI, a
// real looping job stopped by `flowforge run` into a real store file, then
// bundles written, checked and tampered with on disk.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from '../../helpers/processes';

const CLI = join(REPO, 'dist', 'cli.js');

// Secret-looking values in the job's argv and output: none may reach a bundle.
const SECRETS = ['hunter2secretvalue', 'sk-abcdefghijklmnopqrstuvwxyz123456', 'ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8'];
const LOOP = `
import sys
while True:
    print('retrying upload password=hunter2secretvalue api_key=sk-abcdefghijklmnopqrstuvwxyz123456', flush=True)
    x = sum(range(20000))
`;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

describe('flowforge evidence export|verify (CLI, real store)', function () {
  this.timeout(120_000);
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const db = () => join(dir, 'store.db');

  function flowforge(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Result {
    const t0 = performance.now();
    // The looping job prints megabytes; only what FlowForge says (stderr) matters here.
    const stdout = args[0] === 'run' ? 'ignore' : 'pipe';
    const r = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, env: { ...env, ...extraEnv }, encoding: 'utf8', timeout: 60_000, stdio: ['ignore', stdout, 'pipe'] });
    return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr, ms: performance.now() - t0 };
  }

  const bundleFiles = (b: string) => readdirSync(b).sort();

  /** A fresh copy of a bundle to tamper with. */
  function copyOf(bundle: string, name: string): string {
    const target = join(dir, 'copies', name);
    cpSync(bundle, target, { recursive: true });
    return target;
  }

  let bundle: string;

  before(function () {
    const build = spawnSync(process.execPath, [join(REPO, 'scripts', 'build.mjs'), '--quiet'], { cwd: REPO, encoding: 'utf8' });
    assert.equal(build.status, 0, build.stderr);
    dir = mkdtempSync(join(tmpdir(), 'ff-evidence-'));
    // The user's state folder (and so the signing key) lives in the test's folder.
    env = { ...process.env, XDG_STATE_HOME: join(dir, 'state'), FLOWFORGE_EVIDENCE_KEY_FILE: '', FLOWFORGE_EVIDENCE_HMAC_KEY_FILE: '' };
    const run = flowforge(['run', '--db', db(), '--', 'python3', '-c', LOOP, '--token', SECRETS[2]!]);
    assert.equal(run.code, 137, `the looping job must be stopped by FlowForge:\n${run.stderr.slice(-2000)}`);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('exports the newest incident, signed with a new Ed25519 key in a 0600 file (folder 0700), and verify passes', () => {
    bundle = join(dir, 'bundle');
    const exp = flowforge(['evidence', 'export', '--db', db(), '--out', bundle]);
    assert.equal(exp.code, 0, exp.stderr);
    assert.match(exp.stdout, /evidence of incident inc_\w+ written to/);
    assert.deepEqual(bundleFiles(bundle), ['decisions.json', 'incident.json', 'incidents.json', 'manifest.json', 'runs.json', 'samples.json', 'signature.json', 'timeline.json']);
    const keyFile = join(dir, 'state', 'flowforge', 'keys', 'evidence-ed25519.pem');
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'state', 'flowforge', 'keys')).mode & 0o777, 0o700);

    const incident = JSON.parse(readFileSync(join(bundle, 'incident.json'), 'utf8'));
    assert.equal(incident.kind, 'cpu_loop');
    assert.equal(incident.action, 'kill');
    const decisions = JSON.parse(readFileSync(join(bundle, 'decisions.json'), 'utf8')) as { incident_id: string | null }[];
    assert.ok(decisions.some((d) => d.incident_id === incident.id), 'the incident’s decisions are in the bundle');
    assert.ok(JSON.parse(readFileSync(join(bundle, 'samples.json'), 'utf8')).length >= 3, 'the run’s samples are in the bundle');
    const timeline = JSON.parse(readFileSync(join(bundle, 'timeline.json'), 'utf8')) as { kind: string }[];
    assert.ok(['run', 'decision', 'incident', 'lifecycle'].every((k) => timeline.some((e) => e.kind === k)), 'the timeline holds the run, decisions, incident and lifecycle rows');
    const manifest = JSON.parse(readFileSync(join(bundle, 'manifest.json'), 'utf8'));
    assert.equal(manifest.files.length, 6);
    for (const f of manifest.files) assert.equal(statSync(join(bundle, f.name)).size, f.bytes);

    const ver = flowforge(['evidence', 'verify', bundle]);
    assert.equal(ver.code, 0, ver.stderr);
    assert.match(ver.stdout, /^OK: .* all 6 files \(\d+ bytes\) match; incident inc_/);
    const size = manifest.files.reduce((n: number, f: { bytes: number }) => n + f.bytes, 0);
    console.log(`      export ${exp.ms.toFixed(0)} ms, verify ${ver.ms.toFixed(0)} ms (CLI processes), bundle ${size} bytes in 6 files + manifest`);
  });

  it('holds no secret the job printed or was given on its command line', () => {
    const runs = JSON.parse(readFileSync(join(bundle, 'runs.json'), 'utf8')) as { argv: string[] }[];
    assert.ok(runs[0]!.argv.includes('--token'), 'the argv is exported (redacted), not dropped');
    for (const name of bundleFiles(bundle)) {
      const text = readFileSync(join(bundle, name), 'utf8');
      for (const secret of SECRETS) assert.ok(!text.includes(secret), `${name} holds ${secret}`);
    }
    assert.match(readFileSync(join(bundle, 'incident.json'), 'utf8'), /password=\[REDACTED\]/);
  });

  it('names the file when any one byte of any file (manifest and signature included) changes', () => {
    for (const name of bundleFiles(bundle)) {
      const copy = copyOf(bundle, `flip-${name}`);
      const path = join(copy, name);
      const bytes = readFileSync(path);
      const at = Math.floor(bytes.length / 2);
      bytes[at] = bytes[at]! ^ 0x01;
      writeFileSync(path, bytes);
      const r = flowforge(['evidence', 'verify', copy]);
      assert.equal(r.code, 1, `${name}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, /^FAILED: /);
      assert.ok(r.stderr.includes(`  ${name}: `) || (name === 'signature.json' && r.stderr.includes('signature.json')), `${name} not named:\n${r.stderr}`);
      if (name === 'manifest.json') assert.match(r.stderr, /manifest\.json: fails the signature check/);
    }
  });

  it('reports a missing file and an extra file (also in a sub-folder)', () => {
    const copy = copyOf(bundle, 'missing-extra');
    unlinkSync(join(copy, 'samples.json'));
    writeFileSync(join(copy, 'notes.txt'), 'added later\n');
    mkdirSync(join(copy, 'more'));
    writeFileSync(join(copy, 'more', 'x.json'), '{}\n');
    const r = flowforge(['evidence', 'verify', copy]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /samples\.json: is listed in the manifest but missing/);
    assert.match(r.stderr, /notes\.txt: is not listed in the manifest/);
    assert.match(r.stderr, /more\/x\.json: is not listed in the manifest/);
  });

  it('fails with another user’s key, and passes when given the signer’s public key', () => {
    const other = { XDG_STATE_HOME: join(dir, 'other-state') };
    const otherExport = flowforge(['evidence', 'export', '--db', db(), '--out', join(dir, 'other-bundle')], other);
    assert.equal(otherExport.code, 0, otherExport.stderr);
    const r = flowforge(['evidence', 'verify', bundle], other);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /manifest\.json: fails the signature check: signed with Ed25519 key \w+, which is not a key you trust; pass the signer's public key with --public-key FILE/);
    const pub = flowforge(['evidence', 'public-key']);
    assert.equal(pub.code, 0);
    assert.match(pub.stdout, /^-----BEGIN PUBLIC KEY-----/);
    writeFileSync(join(dir, 'signer.pub'), pub.stdout);
    const withPub = flowforge(['evidence', 'verify', bundle, '--public-key', join(dir, 'signer.pub')], other);
    assert.equal(withPub.code, 0, withPub.stderr);
  });

  it('signs with HMAC-SHA256 from a key file: verify passes with the key, fails with another key or none', () => {
    const key = join(dir, 'team.key');
    writeFileSync(key, 'a-shared-team-secret-of-32-bytes!\n', { mode: 0o600 });
    const wrong = join(dir, 'wrong.key');
    writeFileSync(wrong, 'another-shared-secret-0123456789\n', { mode: 0o600 });
    const out = join(dir, 'hmac-bundle');
    const exp = flowforge(['evidence', 'export', '--db', db(), '--out', out, '--hmac-key-file', key]);
    assert.equal(exp.code, 0, exp.stderr);
    assert.match(exp.stdout, /signed with hmac-sha256 key [0-9a-f]{16}/);
    assert.equal(flowforge(['evidence', 'verify', out, '--hmac-key-file', key]).code, 0);
    assert.equal(flowforge(['evidence', 'verify', out], { FLOWFORGE_EVIDENCE_HMAC_KEY_FILE: key }).code, 0);
    const bad = flowforge(['evidence', 'verify', out, '--hmac-key-file', wrong]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /the HMAC-SHA256 signature does not match: the bundle was signed with key \w+, yours is \w+/);
    const none = flowforge(['evidence', 'verify', out]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /give the shared key with --hmac-key-file FILE/);
    // One byte of the evidence changed under HMAC too.
    const copy = copyOf(out, 'hmac-flip');
    const p = join(copy, 'timeline.json');
    const b = readFileSync(p);
    b[10] = b[10]! ^ 0x01;
    writeFileSync(p, b);
    const flipped = flowforge(['evidence', 'verify', copy, '--hmac-key-file', key]);
    assert.equal(flipped.code, 1);
    assert.match(flipped.stderr, /timeline\.json: was changed/);
  });

  it('refuses a signing key or HMAC key file others can read, and a non-empty --out, writing nothing', () => {
    const home = join(dir, 'loose-state');
    const keyDir = join(home, 'flowforge', 'keys');
    assert.equal(flowforge(['evidence', 'export', '--db', db(), '--out', join(dir, 'b-loose-1')], { XDG_STATE_HOME: home }).code, 0);
    chmodSync(join(keyDir, 'evidence-ed25519.pem'), 0o644);
    const loose = flowforge(['evidence', 'export', '--db', db(), '--out', join(dir, 'b-loose-2')], { XDG_STATE_HOME: home });
    assert.equal(loose.code, 2);
    assert.match(loose.stderr, /the evidence signing key .*evidence-ed25519\.pem is readable by others \(mode 644\); run: chmod 600 /);
    assert.throws(() => statSync(join(dir, 'b-loose-2')), /ENOENT/);

    const key = join(dir, 'loose.key');
    writeFileSync(key, 'a-shared-team-secret-of-32-bytes!\n', { mode: 0o640 });
    chmodSync(key, 0o640);
    const h = flowforge(['evidence', 'export', '--db', db(), '--out', join(dir, 'b-loose-3'), '--hmac-key-file', key]);
    assert.equal(h.code, 2);
    assert.match(h.stderr, /the HMAC key file .*loose\.key is readable by others \(mode 640\)/);

    const full = join(dir, 'full');
    mkdirSync(full);
    writeFileSync(join(full, 'keep.txt'), 'mine\n');
    const r = flowforge(['evidence', 'export', '--db', db(), '--out', full]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /full is not empty \(1 entries\); give --out a new or empty folder/);
    assert.deepEqual(readdirSync(full), ['keep.txt']);
  });

  it('picks an incident by --incident or --run, and says clearly when there is none', () => {
    const incident = JSON.parse(readFileSync(join(bundle, 'incident.json'), 'utf8'));
    const byRun = flowforge(['evidence', 'export', '--db', db(), '--run', incident.run_id, '--out', join(dir, 'by-run')]);
    assert.equal(byRun.code, 0, byRun.stderr);
    assert.equal(JSON.parse(readFileSync(join(dir, 'by-run', 'incident.json'), 'utf8')).id, incident.id);
    const unknown = flowforge(['evidence', 'export', '--db', db(), '--incident', 'inc_nope', '--out', join(dir, 'nope')]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no incident 'inc_nope' in .*store\.db \(list them with: .*incidents --db /);
    const empty = flowforge(['evidence', 'export', '--db', join(dir, 'empty.db'), '--out', join(dir, 'nothing')]);
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /no incident recorded in .*empty\.db yet/);
  });
});
