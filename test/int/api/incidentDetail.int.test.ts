// GET /v1/incidents/{id}: the drill-down of one incident from one store read,
// for a real runaway (a job over its memory limit) on a real engine and server.
import { strict as assert } from 'node:assert';
import { tmpdir } from 'node:os';
import { IncidentDetail } from '../../../server/shared/protocol/api';
import { waitFor } from '../../helpers/processes';
import { expectProblem, startTestApi, type TestApi } from './harness';

/** Over its 5 MB memory limit from the first sample: an incident within a few ticks. */
const OVER_LIMIT = { command: process.execPath, args: ['-e', 'setInterval(() => {}, 1000)'], cwd: tmpdir(), max_memory_mb: 5, on_runaway: 'alert' };

describe('api: GET /v1/incidents/{id}', function () {
  this.timeout(30_000);
  let api: TestApi;
  let runId: string;
  let incidentId: string;

  before(async () => {
    api = await startTestApi();
    const started = await api.post('/v1/runs', OVER_LIMIT, { key: 'submit' });
    assert.equal(started.status, 201, started.text);
    runId = started.json.run.id;
    incidentId = await waitFor(async () => (await api.get(`/v1/incidents?run_id=${runId}`)).json.items[0]?.id, 15_000);
    await waitFor(async () => api.store.samples(runId).length >= 3, 10_000);
  });
  after(() => api.close());

  it('answers with the incident, its run, the newest samples, its decisions and chain', async () => {
    const a = await api.get(`/v1/incidents/${incidentId}?samples=2`);
    assert.equal(a.status, 200, a.text);
    const detail = IncidentDetail.parse(a.json);
    assert.equal(detail.incident.id, incidentId);
    assert.equal(detail.run?.id, runId);
    const newest = api.store.samples(runId, { limit: 2 });
    assert.deepEqual(detail.samples.map((s) => s.t), newest.map((s) => s.t));
    assert.ok(detail.decisions.length >= 1);
    assert.ok(detail.decisions.every((d) => d.incident_id === incidentId && d.run_id === runId));
    assert.ok(detail.chain.some((e) => e.kind === 'incident' && e.ref_id === incidentId));
    assert.ok(detail.chain.every((e, i) => i === 0 || e.seq > detail.chain[i - 1]!.seq), 'oldest first');
    const byDefault = IncidentDetail.parse((await api.get(`/v1/incidents/${incidentId}`)).json);
    assert.ok(byDefault.samples.length >= 3);
  });

  it('is the owner’s: another submit key gets 404, as for an unknown id', async () => {
    assert.equal((await api.get(`/v1/incidents/${incidentId}`, { key: 'submit' })).status, 200);
    expectProblem(await api.get(`/v1/incidents/${incidentId}`, { key: 'other' }), 404);
    expectProblem(await api.get('/v1/incidents/inc_does_not_exist'), 404);
  });

  it('rejects a sample count out of range, naming the field', async () => {
    const p = expectProblem(await api.get(`/v1/incidents/${incidentId}?samples=999999`), 400);
    assert.match(JSON.stringify(p), /samples/);
  });
});
