// GET /v1/incidents/{id}/evidence over real HTTP: a looping job started
// through the API is stopped by the engine, its bundle comes back as file
// contents, and written as is into a folder those files verify.
import { strict as assert } from 'node:assert';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ed25519Signer, trustedKeys } from '../../../server/evidence/sign';
import { verifyBundle } from '../../../server/evidence/verify';
import { waitFor } from '../../helpers/processes';
import { expectProblem, startTestApi, type TestApi } from './harness';

const LOOP = "while True:\n    print('retrying upload password=hunter2secretvalue', flush=True)\n    x = sum(range(20000))\n";

describe('api: GET /v1/incidents/{id}/evidence', function () {
  this.timeout(60_000);
  let api: TestApi;
  let dir: string;
  let keyPath: string;
  let incidentId: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ff-evidence-api-'));
    keyPath = join(dir, 'keys', 'evidence-ed25519.pem');
    api = await startTestApi({ api: { evidenceSigner: () => ed25519Signer(keyPath) } });
    const started = await api.post('/v1/runs', { command: 'python3', args: ['-c', LOOP], cwd: dir });
    assert.equal(started.status, 201, started.text);
    const runId = started.json.run.id as string;
    incidentId = await waitFor(async () => {
      const page = await api.get(`/v1/incidents?limit=5`);
      const run = await api.get(`/v1/runs/${runId}`);
      return run.json.run?.ended_at ? (page.json.items[0]?.id as string | undefined) : undefined;
    }, 30_000, 200).then((id) => id!);
  });
  after(async () => {
    await api?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('returns the signed bundle; written as is, it verifies, and it holds no secret', async () => {
    const r = await api.get(`/v1/incidents/${incidentId}/evidence`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.incident_id, incidentId);
    assert.equal(r.json.algorithm, 'ed25519');
    const names = r.json.files.map((f: { name: string }) => f.name);
    assert.deepEqual(names, ['incident.json', 'incidents.json', 'runs.json', 'timeline.json', 'decisions.json', 'samples.json', 'manifest.json', 'signature.json']);
    const out = join(dir, 'bundle');
    mkdirSync(out);
    for (const f of r.json.files) writeFileSync(join(out, f.name), f.content);
    const report = verifyBundle(out, trustedKeys({ ownKeyPath: keyPath }));
    assert.deepEqual(report.problems, []);
    assert.equal(report.ok, true);
    assert.ok(!r.text.includes('hunter2secretvalue'));
    console.log(`      bundle over HTTP: ${r.text.length} bytes of JSON, ${report.matchedBytes} bytes of evidence files`);
  });

  it('is 404 for an unknown incident and for a submit key that did not start the run, 401 without a key', async () => {
    expectProblem(await api.get('/v1/incidents/inc_nope/evidence'), 404);
    expectProblem(await api.get(`/v1/incidents/${incidentId}/evidence`, { key: 'submit' }), 404);
    expectProblem(await api.get(`/v1/incidents/${incidentId}/evidence`, { key: null }), 401);
  });

  it('says how to fix a signing key others can read (503), instead of signing with it', async () => {
    chmodSync(keyPath, 0o644);
    const p = expectProblem(await api.get(`/v1/incidents/${incidentId}/evidence`), 503);
    assert.match(p.detail, /cannot sign evidence: the evidence signing key .* is readable by others \(mode 644\); run: chmod 600/);
    chmodSync(keyPath, 0o600);
  });
});
