import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pidsMatching, waitFor } from '../../helpers/processes';
import { expectProblem, startTestApi, type TestApi } from './harness';

const TREE = join(__dirname, 'fixtures', 'tree.js');
const token = () => `tok${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;

describe('api: acting on real runs', function () {
  let api: TestApi;
  const tokens: string[] = [];
  const startTree = async (extra: Record<string, unknown> = {}) => {
    const t = token();
    tokens.push(t);
    const a = await api.post('/v1/runs', { command: process.execPath, args: [TREE, t], cwd: tmpdir(), name: 'tree', ...extra });
    assert.equal(a.status, 201, a.text);
    await waitFor(() => pidsMatching(t).length === 3, 10_000);
    return { run: a.json.run, token: t };
  };

  before(async () => {
    api = await startTestApi();
  });
  after(async () => {
    await api.close();
    for (const t of tokens) assert.deepEqual(pidsMatching(t), [], `processes of ${t} survived`);
  });

  it('starts a run: 201 with Location, the run RUNNING, output and samples recorded', async () => {
    const { run } = await startTree();
    assert.equal(run.lifecycle, 'RUNNING');
    assert.equal(run.source, 'api');
    assert.ok(run.pid > 0);
    await waitFor(async () => (await api.get(`/v1/runs/${run.id}`)).json.samples.length >= 2, 10_000);
    const out = await waitFor(async () => {
      const o = await api.get(`/v1/runs/${run.id}/output`);
      return o.json.lines.length >= 2 && o.json;
    }, 5000);
    assert.equal(out.available, true);
    assert.match(out.lines[0].text, /^working tok\w+ step \d+$/);
    const detail = await api.get(`/v1/runs/${run.id}`);
    assert.equal(detail.json.active, true);
    await api.post('/v1/process/kill', { run_id: run.id, reason: 'test over' });
    await api.engine.jobByRun(run.id)!.whenEnded();
  });

  it('kill: 202 STOPPING, then the whole tree is gone; a second kill is 409, an unknown run 404', async () => {
    const { run, token: t } = await startTree();
    const kill = await api.post('/v1/process/kill', { run_id: run.id, reason: 'runaway in test' }, { headers: { 'x-request-id': `kill-${t}` } });
    assert.equal(kill.status, 202, kill.text);
    assert.deepEqual(kill.json, { status: 'stop_requested', run_id: run.id, job_id: run.job_id, lifecycle: 'STOPPING', request_id: `kill-${t}` });
    await waitFor(() => pidsMatching(t).length === 0, 10_000);
    await api.engine.jobByRun(run.id)!.whenEnded();
    const ended = (await api.get(`/v1/runs/${run.id}`)).json.run;
    assert.equal(ended.end_reason, 'stopped_by_user');
    assert.equal(ended.lifecycle, 'STOPPED');

    const again = await api.post('/v1/process/kill', { run_id: run.id, reason: 'again' });
    assert.match(expectProblem(again, 409).detail, /already stopped/);
    expectProblem(await api.post('/v1/process/kill', { run_id: 'run_nope', reason: 'x' }), 404);

    // The request id is on the audit and lifecycle rows the kill caused.
    const trace = await api.get(`/v1/ops/requests/kill-${t}`);
    const kinds = trace.json.events.map((e: { kind: string; summary: string }) => e.kind);
    assert.ok(kinds.includes('audit') && kinds.includes('lifecycle'), JSON.stringify(kinds));
    const audit = trace.json.events.find((e: { kind: string }) => e.kind === 'audit');
    assert.equal(audit.data.actor, 'api:extension');
  });

  it('restart: a new attempt, supervised like the first; the fourth in the budget window is 429', async function () {
    const { run } = await startTree({ restartable: true });
    const attempts = [run.id];
    for (let i = 1; i <= 3; i++) {
      const r = await api.post('/v1/process/restart', { run_id: attempts[attempts.length - 1], reason: `restart ${i}` });
      assert.equal(r.status, 202, r.text);
      assert.equal(r.json.lifecycle, 'STARTING');
      const job = api.engine.jobByRun(run.id)!;
      const next = (await waitFor(() => (job.currentRun?.attempt === i + 1 && job.currentRun.lifecycle === 'RUNNING' ? job.currentRun : null), 15_000))!;
      attempts.push(next.id);
      // Supervised: the new attempt gets its own pid, samples and output.
      assert.notEqual(next.pid, run.pid);
      await waitFor(async () => (await api.get(`/v1/runs/${next.id}`)).json.samples.length >= 1, 10_000);
      await waitFor(async () => (await api.get(`/v1/runs/${next.id}/output`)).json.lines.length >= 1, 5000);
    }
    const fourth = await api.post('/v1/process/restart', { run_id: attempts[3], reason: 'one too many' });
    const p = expectProblem(fourth, 429);
    assert.equal(p.type, 'https://flowforge.dev/problems/restart-budget-exceeded');
    const retryAfter = Number(fourth.headers['retry-after']);
    assert.ok(retryAfter >= 1 && retryAfter <= 300, `Retry-After ${retryAfter}`);
    assert.equal(p.retry_after_seconds, retryAfter);
    assert.equal(api.engine.jobByRun(run.id)!.currentRun!.id, attempts[3], 'the refused restart touched the job');
    const old = await api.post('/v1/process/kill', { run_id: attempts[1], reason: 'an old attempt' });
    assert.match(expectProblem(old, 409).detail, /continues as run/);
    const metrics = await api.get('/v1/metrics');
    assert.match(metrics.text, /flowforge_restart_budget_blocks_total\{source="api"\} 1/);
    assert.match(metrics.text, /flowforge_restart_latency_seconds_count 3/);
    await api.post('/v1/process/kill', { run_id: attempts[3], reason: 'done' });
    await api.engine.jobByRun(run.id)!.whenEnded();
  });

  it('signal and input reach the job; a job without stdin says so', async () => {
    const { run } = await startTree();
    const sig = await api.post(`/v1/runs/${run.id}/signal`, { signal: 'SIGUSR1' });
    assert.equal(sig.status, 202, sig.text);
    assert.equal(sig.json.delivered, true);
    const input = await api.post(`/v1/runs/${run.id}/input`, { data: 'hello there\n' });
    assert.deepEqual(input.json, { run_id: run.id, bytes: 12 });
    const b64 = await api.post(`/v1/runs/${run.id}/input`, { data_base64: Buffer.from('second\n').toString('base64') });
    assert.equal(b64.status, 202, b64.text);
    let text = '';
    await waitFor(async () => {
      text = (await api.get(`/v1/runs/${run.id}/output`)).json.lines.map((l: { text: string }) => l.text).join('\n');
      return text.includes('usr1 received') && text.includes('got: hello there') && text.includes('second');
    }, 5000).catch((err) => assert.fail(`${(err as Error).message}; output:\n${text}`));
    await api.post('/v1/process/kill', { run_id: run.id, reason: 'done' });
    await api.engine.jobByRun(run.id)!.whenEnded();

    const quiet = await startTree({ stdin: 'ignore' });
    expectProblem(await api.post(`/v1/runs/${quiet.run.id}/input`, { data: 'x' }), 409);
    expectProblem(await api.post(`/v1/runs/${quiet.run.id}/lines`, { lines: ['x'] }), 409);
    await api.post('/v1/process/kill', { run_id: quiet.run.id, reason: 'done' });
    await api.engine.jobByRun(quiet.run.id)!.whenEnded();
  });

  it('watches a terminal command by its shell pid, takes its lines, and stops it without the shell', async () => {
    const t = token();
    tokens.push(t);
    // The shell outlives the command (like a terminal's): only the command may be stopped.
    // (`read` is a builtin: the shell waits on its stdin without a new process.)
    const shell = spawn('/bin/sh', ['-c', `${process.execPath} ${TREE} ${t} & wait; read line`], { stdio: ['pipe', 'ignore', 'ignore'] });
    const commandPids = () => pidsMatching(t).filter((p) => p !== shell.pid);
    try {
      await waitFor(() => commandPids().length === 3, 10_000);
      const w = await api.post('/v1/watch', { pid: shell.pid, name: 'terminal command', command: `node tree.js ${t}` });
      assert.equal(w.status, 201, w.text);
      const id = w.json.run.id;
      assert.equal(w.json.run.source, 'watch');
      const fed = await api.post(`/v1/runs/${id}/lines`, { lines: ['compiling 1', 'compiling 2'] });
      assert.deepEqual(fed.json, { run_id: id, accepted: 2, ended: false });
      assert.deepEqual((await api.get(`/v1/runs/${id}/output`)).json.lines.map((l: { text: string }) => l.text), ['compiling 1', 'compiling 2']);
      assert.equal((await api.post('/v1/process/kill', { run_id: id, reason: 'stop the command' })).status, 202);
      await waitFor(() => commandPids().length === 0, 10_000);
      await api.engine.jobByRun(id)!.whenEnded();
      assert.equal(shell.exitCode, null, 'the shell was stopped too');
      assert.deepEqual(pidsMatching(t), [shell.pid]);
      expectProblem(await api.post('/v1/process/restart', { run_id: id, reason: 'x' }), 409);
    } finally {
      shell.kill('SIGKILL');
    }
  });

  it('lists the lifecycle of active runs and recent transitions', async () => {
    const { run } = await startTree();
    const lc = await api.get('/v1/worker/lifecycle');
    assert.ok(lc.json.active.some((a: { run_id: string; phase: string }) => a.run_id === run.id && a.phase === 'RUNNING'));
    assert.ok(lc.json.recent.some((e: { run_id: string }) => e.run_id === run.id));
    await api.post('/v1/process/kill', { run_id: run.id, reason: 'done' });
    await api.engine.jobByRun(run.id)!.whenEnded();
  });
});
