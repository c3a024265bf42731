import { strict as assert } from 'node:assert';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pidsMatching, waitFor } from '../../helpers/processes';
import { expectProblem, startTestApi, type TestApi } from './harness';

const TREE = join(__dirname, 'fixtures', 'tree.js');
/** A job over its memory limit from the first sample (node alone needs more than 5 MB). */
const OVER_LIMIT = { command: process.execPath, args: ['-e', 'setInterval(() => {}, 1000)'], cwd: tmpdir(), max_memory_mb: 5 };
/** A job that crosses a 150 MB limit after two seconds. */
const LATE_HOG = {
  command: process.execPath,
  args: ['-e', 'setTimeout(() => { globalThis.hog = Buffer.alloc(220 * 1024 * 1024, 1); }, 2000); setInterval(() => {}, 1000)'],
  cwd: tmpdir(),
  max_memory_mb: 150,
};

describe('api: integration workspaces', function () {
  let api: TestApi;
  const tokens: string[] = [];
  const tree = async (workspace_id: string) => {
    const t = `ws${Date.now().toString(36)}${Math.random().toString(36).slice(2, 7)}`;
    tokens.push(t);
    const a = await api.post('/v1/runs', { command: process.execPath, args: [TREE, t], cwd: tmpdir(), workspace_id });
    assert.equal(a.status, 201, a.text);
    return a.json.run as { id: string };
  };
  const run = async (body: object, workspace_id: string) => {
    const a = await api.post('/v1/runs', { ...body, workspace_id });
    assert.equal(a.status, 201, a.text);
    return a.json.run.id as string;
  };
  const register = (id: string, extra: object = {}) =>
    api.post('/v1/integrations/workspaces/register', { workspace_id: id, workspace_path: join(tmpdir(), id), client: 'vscode', ...extra });

  before(async () => {
    api = await startTestApi();
  });
  after(async () => {
    await api.close();
    for (const t of tokens) assert.deepEqual(pidsMatching(t), []);
  });

  it('registers workspaces (protected by default) and keeps protection when re-registered', async () => {
    const a = await register('ws-a', { profile: 'agent' });
    assert.equal(a.status, 201);
    assert.deepEqual({ ...a.json.workspace, registered_at: 0, updated_at: 0 }, {
      id: 'ws-a', path: join(tmpdir(), 'ws-a'), profile: 'agent', client: 'vscode', protection_enabled: true, protection_reason: '', registered_at: 0, updated_at: 0,
    });
    assert.equal((await register('ws-b')).status, 201);
    await api.post('/v1/integrations/workspaces/ws-b/protection', { enabled: false, reason: 'debugging' });
    const again = await register('ws-b', { profile: 'strict' });
    assert.equal(again.status, 200);
    assert.equal(again.json.workspace.protection_enabled, false);
    assert.equal(again.json.workspace.profile, 'strict');
    await api.post('/v1/integrations/workspaces/ws-b/protection', { enabled: true });
  });

  it("status and latest incident cover only that workspace's runs", async () => {
    const a1 = await tree('ws-a');
    const b1 = await tree('ws-b');
    const statusA = await api.get('/v1/integrations/workspaces/ws-a/status');
    assert.deepEqual(statusA.json.active_runs.map((r: { id: string }) => r.id), [a1.id]);
    assert.equal(statusA.json.active_runs[0].profile, 'agent', "a run takes its workspace's profile");
    assert.deepEqual((await api.get('/v1/integrations/workspaces/ws-b/status', { key: 'read' })).json.active_runs.map((r: { id: string }) => r.id), [b1.id]);

    expectProblem(await api.get('/v1/integrations/workspaces/ws-a/incidents/latest'), 404);
    const b2 = await run(OVER_LIMIT, 'ws-b');
    await api.engine.jobByRun(b2)!.whenEnded();
    const latestB = await api.get('/v1/integrations/workspaces/ws-b/incidents/latest');
    assert.equal(latestB.json.incident.run_id, b2);
    assert.equal(latestB.json.incident.kind, 'memory_limit');
    expectProblem(await api.get('/v1/integrations/workspaces/ws-a/incidents/latest'), 404);
    expectProblem(await api.get('/v1/integrations/workspaces/nope/status'), 404);
    expectProblem(await api.get('/v1/integrations/workspaces/ws-a/status', { key: 'submit' }), 403);
  });

  it('actions: kill the most recent active run; a run of another workspace is 404', async () => {
    const aRun = api.engine.activeJobs().find((j) => j.spec.workspaceId === 'ws-a')!.currentRun!.id;
    const wrong = await api.post('/v1/integrations/workspaces/ws-b/actions', { action: 'kill', reason: 'x', run_id: aRun });
    expectProblem(wrong, 404);
    assert.equal(api.engine.jobByRun(aRun)!.active, true);
    const bRun = api.engine.activeJobs().find((j) => j.spec.workspaceId === 'ws-b')!.currentRun!.id;
    const kill = await api.post('/v1/integrations/workspaces/ws-b/actions', { action: 'kill', reason: 'from the editor' });
    assert.equal(kill.status, 202, kill.text);
    assert.deepEqual([kill.json.workspace_id, kill.json.action, kill.json.run_id, kill.json.lifecycle], ['ws-b', 'kill', bRun, 'STOPPING']);
    await api.engine.jobByRun(bRun)!.whenEnded();
    expectProblem(await api.post('/v1/integrations/workspaces/ws-b/actions', { action: 'restart', reason: 'nothing runs' }), 409);
  });

  it('protection off: runaways only alert, actions are 409; turning it back on acts on running jobs', async () => {
    const off = await api.post('/v1/integrations/workspaces/ws-a/protection', { enabled: false, reason: 'let it run' });
    assert.equal(off.json.workspace.protection_enabled, false);
    const hog = await run(OVER_LIMIT, 'ws-a');
    const incident = await waitFor(async () => (await api.get(`/v1/incidents?run_id=${hog}`)).json.items[0], 10_000);
    assert.equal(incident.kind, 'memory_limit');
    assert.equal(incident.action, 'alert');
    assert.equal(incident.intended, 'kill');
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(api.engine.jobByRun(hog)!.active, true, 'an unprotected runaway was stopped');

    const act = await api.post('/v1/integrations/workspaces/ws-a/actions', { action: 'kill', reason: 'x' });
    assert.equal(expectProblem(act, 409).type, 'https://flowforge.dev/problems/protection-disabled');
    assert.equal(api.engine.jobByRun(hog)!.active, true);

    await api.post('/v1/integrations/workspaces/ws-a/protection', { enabled: true, reason: 'back on' });
    const outcome = await api.engine.jobByRun(hog)!.whenEnded();
    assert.equal(outcome.outcome, 'killed');
  });

  it('protection turned off while a job runs: it stops killing that job', async () => {
    const late = await run(LATE_HOG, 'ws-a');
    await api.post('/v1/integrations/workspaces/ws-a/protection', { enabled: false });
    const incident = await waitFor(async () => (await api.get(`/v1/incidents?run_id=${late}`)).json.items[0], 15_000);
    assert.equal(incident.action, 'alert');
    assert.equal(api.engine.jobByRun(late)!.active, true);
    await api.post('/v1/process/kill', { run_id: late, reason: 'test over' });
    await api.engine.jobByRun(late)!.whenEnded();
    await api.post('/v1/integrations/workspaces/ws-a/protection', { enabled: true });
  });

  it('unregisters; the audit trail names the client and the request', async () => {
    const del = await api.request('DELETE', '/v1/integrations/workspaces/ws-b', { headers: { 'x-request-id': 'unreg-1' } });
    assert.deepEqual(del.json, { workspace_id: 'ws-b', unregistered: true });
    expectProblem(await api.get('/v1/integrations/workspaces/ws-b/status'), 404);
    expectProblem(await api.request('DELETE', '/v1/integrations/workspaces/ws-b'), 404);
    const trace = await api.get('/v1/ops/requests/unreg-1');
    assert.equal(trace.json.count, 1);
    assert.deepEqual([trace.json.events[0].data.actor, trace.json.events[0].data.action], ['api:extension', 'workspace_unregister']);
    const audits = (await api.get('/v1/timeline?kinds=audit&workspace_id=ws-a&limit=100')).json.items.map((e: { data: { action: string } }) => e.data.action);
    assert.ok(audits.includes('protection_off') && audits.includes('protection_on') && audits.includes('workspace_register'), audits.join());
    for (const j of api.engine.activeJobs()) await j.stop({ actor: 'test', reason: 'cleanup' });
  });
});
