// The pure parts of evidence bundles: what is collected for an incident, the
// second redaction pass, the manifest's file names, and the signature checks.
import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBundle, collectEvidence, writeBundle, type EvidenceContent } from '../../../server/evidence/bundle';
import { checkSignature, ed25519KeyId, type Signer, type TrustedKeys } from '../../../server/evidence/sign';
import { verifyBundle } from '../../../server/evidence/verify';
import { openStore } from '../../../server/store';
import { FakeClock } from '../../../server/util/clock';
import { makeDecision, makeIncident, makeRun, makeSample } from '../store/records';

function ed25519(): { signer: Signer; trust: TrustedKeys } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const keyId = ed25519KeyId(publicKey);
  return {
    signer: { algorithm: 'ed25519', keyId, sign: (d) => sign(null, d, privateKey) },
    trust: { ed25519: new Map([[keyId, publicKey]]), hmac: null },
  };
}

describe('evidence/bundle', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'ff-bundle-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('collects every attempt of the incident’s job with their incidents, decisions and samples, and nothing of other jobs', async () => {
    const { store } = await openStore({ path: null, clock: new FakeClock() });
    const first = makeRun({ started_at: 1_000 });
    const second = makeRun({ job_id: first.job_id, attempt: 2, started_at: 60_000 });
    const stranger = makeRun({ started_at: 2_000 });
    for (const r of [first, second, stranger]) store.upsertRun(r, { summary: `run ${r.id}` });
    const inc1 = makeIncident(first, { opened_at: 30_000 });
    const inc2 = makeIncident(second, { opened_at: 90_000 });
    const other = makeIncident(stranger, { opened_at: 40_000 });
    for (const i of [inc1, inc2, other]) store.upsertIncident(i, { summary: `incident ${i.id}` });
    store.addDecision(makeDecision(first, { incident_id: inc1.id }));
    store.addDecision(makeDecision(second, { incident_id: inc2.id }));
    store.addDecision(makeDecision(stranger, { incident_id: other.id }));
    for (const r of [first, second, stranger]) store.addSample(makeSample(r.id, r.started_at + 1000));

    const c = collectEvidence(store, inc2.id)!;
    assert.equal(c.incident.id, inc2.id);
    assert.deepEqual(c.incidents.map((i) => i.id), [inc1.id, inc2.id]);
    assert.deepEqual(c.runs.map((r) => r.id), [first.id, second.id]);
    assert.equal(c.decisions.length, 2);
    assert.deepEqual(new Set(c.samples.map((s) => s.run_id)), new Set([first.id, second.id]));
    assert.ok(c.timeline.length > 0 && c.timeline.every((e) => e.run_id !== stranger.id));
    assert.deepEqual(c.timeline.map((e) => e.seq), [...c.timeline.map((e) => e.seq)].sort((a, b) => a - b));
    assert.equal(collectEvidence(store, 'inc_unknown'), null);
    await store.close();
  });

  it('redacts again on export: a secret that bypassed the store never reaches a file', () => {
    const run = makeRun({ argv: ['deploy', '--password', 'hunter2hunter2', 'TOKEN=ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8'], command: 'deploy --password hunter2hunter2' });
    const incident = makeIncident(run, { evidence: ['login api_key=sk-abcdefghijklmnopqrstuvwxyz123456'] });
    const content: EvidenceContent = {
      incident,
      incidents: [incident],
      runs: [run],
      timeline: [{ seq: 1, t: 1, kind: 'run', ref_id: run.id, run_id: run.id, incident_id: null, workspace_id: null, request_id: null, summary: 'started deploy --password hunter2hunter2', data: run } as never],
      decisions: [makeDecision(run, { evidence: ['Authorization: Bearer abcdefghijklmnop0123456789'] })],
      samples: [],
    };
    const files = buildBundle(content, ed25519().signer, 0);
    const all = Buffer.concat(files.map((f) => f.bytes)).toString('utf8');
    for (const secret of ['hunter2hunter2', 'ghp_A1b2C3d4', 'sk-abcdefghij', 'abcdefghijklmnop0123456789']) assert.ok(!all.includes(secret), secret);
    assert.ok(all.includes(run.id) && all.includes(incident.id), 'ids stay exact');
  });

  it('refuses a manifest that names a path outside the bundle', () => {
    const { signer, trust } = ed25519();
    const run = makeRun();
    const incident = makeIncident(run);
    writeBundle(dir, buildBundle({ incident, incidents: [incident], runs: [run], timeline: [], decisions: [], samples: [] }, signer, 0));
    const manifestPath = join(dir, 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    manifest.files[0].name = '../outside.json';
    const bytes = Buffer.from(JSON.stringify(manifest));
    writeFileSync(manifestPath, bytes);
    // Re-signed, so only the path rule can catch it.
    const sigPath = join(dir, 'signature.json');
    const sig = JSON.parse(readFileSync(sigPath, 'utf8'));
    sig.signature = signer.sign(bytes).toString('base64');
    writeFileSync(sigPath, JSON.stringify(sig));
    const r = verifyBundle(dir, trust);
    assert.equal(r.ok, false);
    assert.equal(r.problems[0]!.file, 'manifest.json');
    assert.match(r.problems[0]!.detail, /files\.0\.name: a plain lower-case file name/);
  });

  it('checks signatures: HMAC of any length without throwing, an unknown key or algorithm named', () => {
    const secret = Buffer.from('0123456789abcdef0123');
    const trust: TrustedKeys = { ed25519: new Map(), hmac: { keyId: 'k', secret } };
    const data = Buffer.from('manifest');
    const good = createHmac('sha256', secret).update(data).digest();
    assert.deepEqual(checkSignature(data, { algorithm: 'hmac-sha256', key_id: 'k', signature: good }, trust), { ok: true });
    assert.equal(checkSignature(data, { algorithm: 'hmac-sha256', key_id: 'k', signature: good.subarray(0, 5) }, trust).ok, false);
    assert.equal(checkSignature(Buffer.from('manifesT'), { algorithm: 'hmac-sha256', key_id: 'k', signature: good }, trust).ok, false);
    assert.match(String((checkSignature(data, { algorithm: 'ed25519', key_id: 'abc', signature: good }, trust) as { why: string }).why), /key abc, which is not a key you trust/);
    assert.match(String((checkSignature(data, { algorithm: 'rsa', key_id: 'k', signature: good }, trust) as { why: string }).why), /unknown signature algorithm 'rsa'/);
  });
});
