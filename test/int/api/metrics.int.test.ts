import { strict as assert } from 'node:assert';
import { tmpdir } from 'node:os';
import { waitFor } from '../../helpers/processes';
import { startTestApi, type TestApi } from './harness';
import { sampleValue as sample } from './metricsScene';

describe('api: /v1/metrics', function () {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(() => api.close());

  it('exposes the documented metrics (docs/api.md) in Prometheus text format', async () => {
    const a = await api.get('/v1/metrics');
    assert.equal(a.status, 200);
    assert.match(String(a.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    for (const name of [
      'flowforge_uptime_seconds',
      'flowforge_runs',
      'flowforge_incidents_total',
      'flowforge_interventions_total',
      'flowforge_actions_total',
      'flowforge_stop_latency_seconds',
      'flowforge_restart_latency_seconds',
      'flowforge_stop_slo_ratio',
      'flowforge_restart_slo_ratio',
      'flowforge_restart_budget_blocks_total',
      'flowforge_http_requests_total',
      'flowforge_http_request_duration_seconds',
      'flowforge_auth_failures_total',
      'flowforge_store_last_save_seconds',
      'flowforge_store_size_bytes',
      'flowforge_stream_clients',
      'flowforge_runaways_total',
      'flowforge_time_to_act_seconds',
      'flowforge_not_a_runaway_total',
    ]) {
      assert.match(a.text, new RegExp(`^# TYPE ${name} `, 'm'), `${name} missing`);
    }
    assert.match(a.text, /^flowforge_runs\{state="RUNNING"\} 0$/m);
  });

  it('counts requests by route template, runs by state, and measures a stop', async () => {
    await api.get('/v1/runs/run_a');
    await api.get('/runs/run_b');
    await api.get('/v1/runs', { key: null });
    const started = await api.post('/v1/runs', { command: process.execPath, args: ['-e', 'setInterval(() => {}, 1000)'], cwd: tmpdir() });
    const mid = (await api.get('/v1/metrics')).text;
    assert.match(mid, /^flowforge_runs\{state="RUNNING"\} 1$/m);
    await api.post('/v1/process/kill', { run_id: started.json.run.id, reason: 'measure' });
    await api.engine.jobByRun(started.json.run.id)!.whenEnded();
    const text = (await waitFor(async () => {
      const t = (await api.get('/v1/metrics')).text;
      return sample(t, 'flowforge_stop_latency_seconds_count') === 1 ? t : null;
    }, 5000))!;
    assert.match(text, /flowforge_http_requests_total\{method="GET",route="\/v1\/runs\/:id",status="404"\} 2/);
    assert.match(text, /flowforge_http_requests_total\{method="GET",route="\/v1\/runs",status="401"\} 1/);
    assert.match(text, /flowforge_auth_failures_total\{reason="missing"\} 1/);
    assert.match(text, /flowforge_actions_total\{action="stop",actor="api"\} 1/);
    assert.equal(sample(text, 'flowforge_stop_slo_ratio'), 1);
    assert.ok(sample(text, 'flowforge_uptime_seconds')! >= 0);
  });
});
