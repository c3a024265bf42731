import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectProblem, startTestApi, type TestApi } from './harness';

describe('api: Idempotency-Key', function () {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(() => api.close());

  it('same key + same body replays the first answer; a different body is 409', async () => {
    const body = { workspace_id: 'idem-ws', workspace_path: tmpdir(), profile: 'strict', client: 'test' };
    const first = await api.post('/v1/integrations/workspaces/register', body, { headers: { 'idempotency-key': 'reg-1' } });
    assert.equal(first.status, 201);
    assert.equal(first.headers['x-idempotent-replay'], undefined);
    // Key order does not make it a different request; the legacy alias is the same endpoint.
    const reordered = { client: 'test', profile: 'strict', workspace_path: tmpdir(), workspace_id: 'idem-ws' };
    const again = await api.post('/integrations/workspaces/register', reordered, { headers: { 'idempotency-key': 'reg-1' } });
    assert.equal(again.status, 201, 'a replay answers what the first request answered');
    assert.equal(again.headers['x-idempotent-replay'], 'true');
    assert.deepEqual(again.json, first.json);
    const audits = await api.get('/v1/timeline?kinds=audit&limit=500');
    assert.equal(audits.json.items.filter((e: { workspace_id: string }) => e.workspace_id === 'idem-ws').length, 1, 'the replay acted again');

    const changed = await api.post('/v1/integrations/workspaces/register', { ...body, profile: 'light' }, { headers: { 'idempotency-key': 'reg-1' } });
    assert.equal(expectProblem(changed, 409).type, 'https://flowforge.dev/problems/idempotency-conflict');
  });

  it('replays problems too, and keys are per client', async () => {
    const kill = { run_id: 'run_missing', reason: 'test' };
    const a = await api.post('/v1/process/kill', kill, { headers: { 'idempotency-key': 'kill-1' } });
    expectProblem(a, 404);
    const b = await api.post('/v1/process/kill', kill, { headers: { 'idempotency-key': 'kill-1' } });
    assert.equal(b.status, 404);
    assert.equal(b.headers['x-idempotent-replay'], 'true');
    assert.match(String(b.headers['content-type']), /problem\+json/);
    const other = await api.post('/v1/process/kill', { ...kill, reason: 'other client' }, { key: 'submit', headers: { 'idempotency-key': 'kill-1' } });
    assert.equal(other.headers['x-idempotent-replay'], undefined, "another client's key space");
  });

  it('a replayed start does not start a second job', async () => {
    const body = { command: process.execPath, args: ['-e', 'setTimeout(() => {}, 30000)'], cwd: tmpdir() };
    const first = await api.post('/v1/runs', body, { headers: { 'idempotency-key': 'start-1' } });
    assert.equal(first.status, 201);
    const second = await api.post('/v1/runs', body, { headers: { 'idempotency-key': 'start-1' } });
    assert.equal(second.headers['x-idempotent-replay'], 'true');
    assert.equal(second.json.run.id, first.json.run.id);
    assert.equal(api.engine.activeJobs().length, 1);
    await api.engine.jobByRun(first.json.run.id)!.stop({ actor: 'test', reason: 'cleanup' });
  });

  it("a shell run's secret (its default name is the raw command line) reaches neither the answer, the engine, the replay nor the store file", async () => {
    const secret = 'Tk9secret42xQ';
    const dir = mkdtempSync(join(tmpdir(), 'ff-idem-'));
    const fileApi = await startTestApi({ storePath: join(dir, 'store.db') });
    try {
      const body = { command: `API_TOKEN=${secret} ${process.execPath} -e "setTimeout(() => {}, 30000)"`, shell: true, cwd: tmpdir() };
      const first = await fileApi.post('/v1/runs', body, { headers: { 'idempotency-key': 'start-secret' } });
      assert.equal(first.status, 201, first.text);
      assert.ok(!first.text.includes(secret), `the answer holds the secret: ${first.text}`);
      assert.match(first.json.run.name, /API_TOKEN=\[REDACTED\]/, 'the name stays readable around the secret');
      const job = fileApi.engine.jobByRun(first.json.run.id)!;
      assert.ok(!JSON.stringify(job.currentRun).includes(secret), 'the run in memory holds the secret');
      const replay = await fileApi.post('/v1/runs', body, { headers: { 'idempotency-key': 'start-secret' } });
      assert.equal(replay.headers['x-idempotent-replay'], 'true');
      assert.ok(!replay.text.includes(secret), `the replay holds the secret: ${replay.text}`);
      const listed = await fileApi.get(`/v1/runs/${first.json.run.id}`);
      assert.ok(!listed.text.includes(secret), `GET /v1/runs/{id} holds the secret: ${listed.text}`);
      await job.stop({ actor: 'test', reason: 'cleanup' });
    } finally {
      await fileApi.close();
    }
    const onDisk = readFileSync(join(dir, 'store.db'));
    rmSync(dir, { recursive: true, force: true });
    assert.ok(onDisk.length > 0 && !onDisk.includes(secret), 'the store file holds the secret');
  });

  it('rejects malformed keys', async () => {
    const a = await api.post('/v1/process/kill', { run_id: 'x', reason: 'y' }, { headers: { 'idempotency-key': 'has spaces in it' } });
    assert.match(expectProblem(a, 400).detail, /Idempotency-Key/);
  });
});
