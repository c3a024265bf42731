// Agent telemetry and budgets, as a user runs them: the built CLI supervises a
// fake agent written with the official OpenTelemetry JS SDK, which finds
// FlowForge's receiver only through the environment FlowForge gave it and
// emits Claude Code's documented counters. Over the token rate or the cost
// budget it is stopped, with the numbers in the explanation and the stored
// incident; under the limit it runs to the end.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OtlpReceiver } from '../../../server/otel/receiver';
import type { MetricPoint } from '../../../server/otel/receiverDecode';
import { silentLogger } from '../../../server/util/logger';
import { useBuiltCli, withStore } from '../../helpers/cliRun';
import { useTestApi } from '../api/harness';
import { FIXTURES } from '../../helpers/processes';

const AGENT = join(FIXTURES, 'agents', 'fakeOtelAgent.js');

const storedIncidents = (db: string) =>
  withStore(db, (store) => store.listIncidents({ limit: 10 }).items.map((inc) => ({ inc, decisions: store.incidentDetail(inc.id, 0)!.decisions })));

describe('agent telemetry: budgets on what the agent reports (OpenTelemetry SDK client)', function () {
  this.timeout(120_000);
  const cli = useBuiltCli('ff-otelin-');
  const dir = () => cli.dir;
  const db = () => join(cli.dir, 'store.db');

  it('an agent burning tokens past --max-tokens-per-min is stopped, with the rate in the explanation', async () => {
    const r = await cli.run(
      ['run', '--db', db(), '--agent-telemetry', '--max-tokens-per-min', '3000', '--summary-json', join(dir(), 's.json'), '--',
        process.execPath, AGENT, '--tokens-per-sec=500', '--seconds=60', '--mark=3000'],
    );
    assert.equal(r.code, 137, r.output);
    assert.match(r.output, /fake agent: telemetry on \(http\/protobuf, every 2000 ms\)/);
    const line = /FlowForge stopped this job: Token rate over the limit — the agent reported (\d+) tokens in the last minute, over the limit of 3000 tokens\/min \(claude-sonnet-4-5 input \d+, output \d+, cacheRead \d+, cacheCreation \d+\)/.exec(r.output);
    assert.ok(line, r.output);
    const reported = Number(line[1]);
    assert.ok(reported >= 3000 && reported < 6000, `reported ${reported}`);
    assert.doesNotMatch(r.output, /fake agent: done/, 'stopped before it finished');

    const crossedAt = Number(/FAKE_AGENT_CROSSED (\d+)/.exec(r.output)![1]);
    console.log(`      crossing the limit (agent side) → FlowForge exited: ${r.exitedAt - crossedAt} ms`);

    const [stored, ...more] = await storedIncidents(db());
    assert.equal(more.length, 0);
    assert.equal(stored!.inc.kind, 'token_rate');
    assert.equal(stored!.inc.action, 'kill');
    assert.match(stored!.inc.reason, /tokens in the last minute, over the limit of 3000 tokens\/min/);
    const kill = stored!.decisions.find((d) => d.action === 'kill')!;
    const rate = kill.signals.find((s) => s.name === 'tokens_per_min')!;
    assert.equal(rate.threshold, 3000);
    assert.equal(rate.value, reported);
    assert.equal(rate.breached, true);
    assert.ok(kill.signals.some((s) => s.name === 'cost_so_far' && (s.value ?? 0) > 0), 'cost reported too');
    const summary = JSON.parse(readFileSync(join(dir(), 's.json'), 'utf8'));
    assert.deepEqual(summary.rules, ['token_rate']);
  });

  it('a near miss: an agent under the limit runs to completion and exits 0', async () => {
    // 300 tokens/s for 8 s: 2400 tokens in any minute, under 3000.
    const r = await cli.run(['run', '--db', db(), '--max-tokens-per-min', '3000', '--', process.execPath, AGENT, '--tokens-per-sec=300', '--seconds=8']);
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /fake agent: telemetry on/, 'a budget turns agent telemetry on');
    assert.match(r.output, /fake agent: done, 2400 tokens/);
    assert.doesNotMatch(r.output, /FlowForge stopped/);
    assert.deepEqual(await storedIncidents(db()), []);
  });

  it('the cost budget: alert first (the rest would go within minutes), then stop when it is spent (http/json, delta)', async () => {
    // 1000 tokens/s at $15 per million: $0.015 a second, the $0.10 budget goes in ~7 s.
    const r = await cli.run(
      ['run', '--db', db(), '--max-cost-usd', '0.10', '--', process.execPath, AGENT, '--tokens-per-sec=1000', '--usd-per-mtok=15', '--seconds=60', '--protocol=http/json', '--temporality=delta'],
    );
    assert.equal(r.code, 137, r.output);
    assert.match(r.output, /fake agent: telemetry on \(http\/json/);
    assert.match(r.output, /FlowForge alert: Agent spending fast — the agent is spending \$\d+\.\d\d\/h at its recent rate; \$0\.0\d spent so far \(claude-sonnet-4-5 \$0\.0\d\); at that rate the \$0\.10 budget is spent in \d+ (s|min)/);
    const stop = /FlowForge stopped this job: Cost budget spent — \$(\d+\.\d\d) spent so far \(claude-sonnet-4-5 \$\d+\.\d\d\), reaching the budget of \$0\.10/.exec(r.output);
    assert.ok(stop, r.output);
    assert.ok(Number(stop[1]) >= 0.1 && Number(stop[1]) < 0.2, stop[1]);

    const [stored] = await storedIncidents(db());
    assert.equal(stored!.inc.action, 'kill');
    assert.deepEqual(
      stored!.decisions.map((d) => d.action),
      ['alert', 'kill'],
      'one incident: the alert, then the stop',
    );
    const kill = stored!.decisions[1]!;
    assert.ok(kill.rules.some((x) => x.id === 'cost_budget' && x.fired));
    const cost = kill.signals.find((s) => s.name === 'cost_so_far')!;
    assert.equal(cost.threshold, 0.1);
    assert.ok(cost.value! >= 0.1);
  });

  it("the job's environment points the exporter at the run's receiver and carries no FlowForge key", async () => {
    const probe = "for (const k of Object.keys(process.env).sort()) if (/^(OTEL_|CLAUDE_CODE_ENABLE|GEMINI_TELEMETRY|FLOWFORGE_(API|ADMIN|OTLP))/.test(k)) console.log(k + '=' + process.env[k])";
    const env = { ...process.env, FLOWFORGE_API_KEY: 'ffk_should_never_reach_the_job', GEMINI_TELEMETRY_OUTFILE: '/tmp/elsewhere.log', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector.example:4318' };
    const r = await cli.run(['run', '--db', db(), '--profile', 'agent', '--', process.execPath, '-e', probe], env);
    assert.equal(r.code, 0, r.output);
    const vars = Object.fromEntries(r.output.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    // The user's own collector keeps the generic endpoint (their logs and traces); the metrics come here.
    assert.equal(vars.OTEL_EXPORTER_OTLP_ENDPOINT, 'http://collector.example:4318');
    assert.match(vars.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT!, /^http:\/\/127\.0\.0\.1:\d+\/otlp\/[A-Za-z0-9_-]{43}\/v1\/metrics$/);
    const endpoint = vars.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT!.replace(/\/v1\/metrics$/, '');
    assert.equal(vars.OTEL_METRICS_EXPORTER, 'otlp');
    assert.equal(vars.OTEL_EXPORTER_OTLP_METRICS_PROTOCOL, 'http/protobuf');
    assert.equal(vars.CLAUDE_CODE_ENABLE_TELEMETRY, '1');
    assert.equal(vars.GEMINI_TELEMETRY_ENABLED, 'true');
    assert.equal(vars.GEMINI_TELEMETRY_OTLP_ENDPOINT, endpoint);
    assert.equal(vars.GEMINI_TELEMETRY_OUTFILE, undefined, 'an outfile would take the metrics elsewhere');
    assert.equal(vars.FLOWFORGE_API_KEY, undefined);
    assert.doesNotMatch(r.output, /ffk_should_never_reach_the_job/);
  });
});

describe('agent telemetry through the API (how the VS Code extension starts a job)', function () {
  this.timeout(120_000);
  const t = useTestApi();
  let cwd: string;
  // The stop leaves flowforge-feedback.md beside the job: in a folder of its own.
  beforeEach(() => (cwd = mkdtempSync(join(tmpdir(), 'ff-otelin-api-'))));
  afterEach(() => rmSync(cwd, { recursive: true, force: true }));

  it('POST /v1/runs with max_tokens_per_min: the backend opens its receiver and stops the agent over the limit', async () => {
    const a = await t.api.post('/v1/runs', {
      command: process.execPath,
      args: [AGENT, '--tokens-per-sec=500', '--seconds=60'],
      cwd,
      name: 'fake-agent',
      max_tokens_per_min: 3000,
    });
    assert.equal(a.status, 201, a.text);
    const outcome = await t.api.engine.jobByRun(a.json.run.id)!.whenEnded();
    assert.equal(outcome.outcome, 'killed');
    assert.deepEqual(outcome.rules, ['token_rate']);
    const inc = t.api.store.getIncident(outcome.incident_ids[0]!)!;
    assert.match(inc.reason, /^Token rate over the limit: the agent reported \d+ tokens in the last minute, over the limit of 3000 tokens\/min/);
    const detail = await t.api.get(`/v1/incidents/${inc.id}`);
    assert.equal(detail.status, 200);
    const signals = detail.json.decisions.at(-1).signals as { name: string; value: number; threshold: number }[];
    assert.equal(signals.find((x) => x.name === 'tokens_per_min')!.threshold, 3000);
  });
});

// ------------------------------------------------------------------ the receiver alone

function post(url: string, body: Buffer | string, headers: Record<string, string>, method = 'POST'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: { 'content-length': String(Buffer.byteLength(body)), ...headers } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += String(d)));
      res.on('end', () => resolve({ status: res.statusCode!, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('the OTLP receiver: only the run\'s token gets in (real HTTP on loopback)', () => {
  let receiver: OtlpReceiver;
  const got: MetricPoint[][] = [];
  const metrics = JSON.stringify({
    resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'claude_code.token.usage', sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints: [{ asInt: '42', timeUnixNano: '1', attributes: [{ key: 'type', value: { stringValue: 'input' } }] }] } }] }] }],
  });
  const json = { 'content-type': 'application/json' };
  before(async () => (receiver = await OtlpReceiver.open(silentLogger)));
  after(() => receiver.close());

  it('refuses a request without the token, with a wrong one, or after the run ended', async () => {
    const grant = receiver.grant('run-1', (p) => got.push(p));
    const base = `http://127.0.0.1:${receiver.port}`;
    assert.equal((await post(`${base}/v1/metrics`, metrics, json)).status, 401, 'no token');
    assert.equal((await post(`${base}/otlp/not-the-token/v1/metrics`, metrics, json)).status, 401, 'wrong token in the path');
    assert.equal((await post(`${base}/v1/metrics`, metrics, { ...json, authorization: 'Bearer not-the-token' })).status, 401, 'wrong bearer');
    assert.equal(got.length, 0, 'nothing got through');

    const ok = await post(grant.metricsUrl, metrics, json);
    assert.deepEqual(ok, { status: 200, body: '{}' });
    const token = grant.endpoint.split('/').pop()!;
    assert.equal((await post(`${base}/v1/metrics`, metrics, { ...json, authorization: `Bearer ${token}` })).status, 200, 'the token as a bearer header');
    assert.equal(got.length, 2);
    assert.equal(got[0]![0]!.value, 42);

    grant.revoke();
    assert.equal((await post(grant.metricsUrl, metrics, json)).status, 401, 'worthless once the run ended');
    assert.equal(got.length, 2);
    const stats = receiver.stats();
    assert.equal(stats.rejected, 4);
    assert.equal(stats.points, 2);
  });

  it('answers logs and traces 200 (dropped), and refuses what it cannot read with a reason', async () => {
    const grant = receiver.grant('run-2', (p) => got.push(p));
    const before = got.length;
    assert.equal((await post(`${grant.endpoint}/v1/logs`, '{"resourceLogs":[]}', json)).status, 200);
    assert.equal((await post(`${grant.endpoint}/v1/traces`, Buffer.from([0x0a, 0x00]), { 'content-type': 'application/x-protobuf' })).status, 200);
    // Gemini CLI's http mode posts every signal to the endpoint itself: told apart by the JSON.
    assert.equal((await post(grant.endpoint, '{"resourceSpans":[]}', json)).status, 200);
    assert.equal((await post(grant.endpoint, metrics, json)).status, 200);
    assert.equal(got.length, before + 1, 'only the metrics reached the run');
    assert.equal((await post(grant.metricsUrl, 'x', { 'content-type': 'text/plain' })).status, 415);
    const bad = await post(grant.metricsUrl, Buffer.from([0x0a, 0x7f, 0x01]), { 'content-type': 'application/x-protobuf' });
    assert.equal(bad.status, 400);
    assert.match(bad.body, /could not read the export: truncated/);
    assert.equal((await post(`${grant.endpoint}/v1/other`, metrics, json)).status, 404);
    assert.equal((await post(grant.metricsUrl, '', {}, 'GET')).status, 405);
  });
});
