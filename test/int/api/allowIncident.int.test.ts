// POST /v1/incidents/{id}/allow on a real engine and server: a real looping
// job stopped by FlowForge teaches a signature; only a key that may act on the
// run can allow it; an incident that taught nothing is refused with 409; once
// allowed, the same loop in the same directory runs to its end untouched, and
// the audit row names who allowed it.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IncidentAllowed } from '../../../server/shared/protocol/api';
import { NOT_A_RUNAWAY_AUDIT_ACTION } from '../../../server/shared/protocol/choices';
import { waitFor } from '../../helpers/processes';
import { expectProblem, startTestApi, type TestApi } from './harness';

/** A busy retry loop (2 ms of CPU per attempt) that ends by itself after `seconds`. */
const retryLoop = (cwd: string, seconds: number) => ({
  command: process.execPath,
  args: [
    '-e',
    `const end = Date.now() + ${seconds * 1000}; let i = 0;
     while (Date.now() < end) { const t = Date.now(); while (Date.now() - t < 2) {} console.log('attempt ' + i++ + ': request failed, retrying'); }`,
  ],
  cwd,
});

describe('api: POST /v1/incidents/{id}/allow', function () {
  this.timeout(90_000);
  let api: TestApi;
  let dir: string;
  let loopIncident: string;
  let memoryIncident: string;

  async function incidentOf(runId: string): Promise<string> {
    await waitFor(async () => (await api.get(`/v1/runs/${runId}`)).json.active === false, 40_000, 200);
    return (await api.get(`/v1/incidents?run_id=${runId}`)).json.items[0].id as string;
  }

  before(async () => {
    api = await startTestApi();
    dir = mkdtempSync(join(tmpdir(), 'ff-allow-'));
    const loop = await api.post('/v1/runs', retryLoop(dir, 60), { key: 'submit' });
    assert.equal(loop.status, 201, loop.text);
    const mem = await api.post(
      '/v1/runs',
      { command: process.execPath, args: ['-e', 'setTimeout(() => {}, 3000)'], cwd: dir, max_memory_mb: 5, on_runaway: 'kill' },
      { key: 'submit' },
    );
    assert.equal(mem.status, 201, mem.text);
    [loopIncident, memoryIncident] = await Promise.all([incidentOf(loop.json.run.id), incidentOf(mem.json.run.id)]);
  });
  after(async () => {
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the stopped loop taught a signature of its directory', () => {
    const sigs = api.store.listSignatures(`dir:${dir}`);
    assert.equal(sigs.length, 1);
    assert.equal(sigs[0]!.incident_id, loopIncident);
    assert.equal(sigs[0]!.status, 'learned');
  });

  it('a read key may not allow (403); another submit key does not see the incident (404); an unknown id is 404', async () => {
    expectProblem(await api.post(`/v1/incidents/${loopIncident}/allow`, {}, { key: 'read' }), 403);
    expectProblem(await api.post(`/v1/incidents/${loopIncident}/allow`, {}, { key: 'other' }), 404);
    expectProblem(await api.post('/v1/incidents/inc_does_not_exist/allow', {}, { key: 'submit' }), 404);
    assert.equal(api.store.listSignatures(`dir:${dir}`)[0]!.status, 'learned', 'nothing changed');
  });

  it('an incident that taught nothing (a memory limit) is refused with 409 saying why', async () => {
    const p = expectProblem(await api.post(`/v1/incidents/${memoryIncident}/allow`, {}, { key: 'submit' }), 409);
    assert.match(p.detail, /taught no signature: only a loop that FlowForge stopped/);
  });

  it('a bad body is refused naming the field', async () => {
    const p = expectProblem(await api.post(`/v1/incidents/${loopIncident}/allow`, { reason: 'x'.repeat(501) }, { key: 'submit' }), 400);
    assert.match(JSON.stringify(p), /reason/);
  });

  it('the owner allows it: the answer lists the signature, the audit names the key, and the same loop then runs to its end', async () => {
    const a = await api.post(`/v1/incidents/${loopIncident}/allow`, { reason: 'retries on purpose' }, { key: 'submit' });
    assert.equal(a.status, 200, a.text);
    const body = IncidentAllowed.parse(a.json);
    assert.equal(body.signatures.length, 1);
    assert.equal(body.signatures[0]!.status, 'allowed');
    assert.equal(body.signatures[0]!.allowed_by, 'api:agent');
    const chain = (await api.get(`/v1/timeline?incident_id=${loopIncident}`)).json.items as { kind: string; summary: string; request_id: string | null }[];
    const audit = chain.find((e) => e.kind === 'audit' && e.summary.includes(` ${NOT_A_RUNAWAY_AUDIT_ACTION}: `));
    assert.ok(audit, JSON.stringify(chain.map((e) => e.summary)));
    assert.equal(audit.summary, `api:agent ${NOT_A_RUNAWAY_AUDIT_ACTION}: retries on purpose`);
    assert.equal(audit.request_id, body.request_id);

    const again = await api.post('/v1/runs', retryLoop(dir, 12), { key: 'submit' });
    const runId = again.json.run.id as string;
    await waitFor(async () => (await api.get(`/v1/runs/${runId}`)).json.active === false, 40_000, 200);
    const run = (await api.get(`/v1/runs/${runId}`)).json.run;
    assert.equal(run.end_reason, 'exited');
    assert.equal(run.intervened, false);
    assert.deepEqual((await api.get(`/v1/incidents?run_id=${runId}`)).json.items, []);
  });
});
