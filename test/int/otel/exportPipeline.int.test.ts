// The export pipeline in-process against a real OTLP/HTTP receiver on
// loopback: what a long-lived backend sends as runs come and go.
import { strict as assert } from 'node:assert';
import { createPipeline } from '../../../server/otel/exportSdk';
import { decisionFact, type TickFact } from '../../../server/otel/export';
import { exportConfigFrom } from '../../../server/otel/exportConfig';
import type { Run } from '../../../server/shared/protocol/domain';
import { createLogger } from '../../../server/util/logger';
import { attrs, OtlpReceiver, type KeyValue } from '../../helpers/otlpReceiver';

interface ExportLogs {
  resourceLogs: { scopeLogs: { logRecords: { severityNumber: number; severityText?: string; body?: { stringValue?: string }; attributes?: KeyValue[] }[] }[] }[];
}
interface ExportTraces {
  resourceSpans: { scopeSpans: { spans: { name: string; attributes?: KeyValue[]; status?: { code?: number }; events?: { name: string; attributes?: KeyValue[] }[] }[] }[] }[];
}

interface ExportMetrics {
  resourceMetrics: { scopeMetrics: { metrics: { name: string; sum?: { dataPoints: { attributes?: KeyValue[] }[] }; gauge?: { dataPoints: { attributes?: KeyValue[] }[] } }[] }[] }[];
}

function run(id: string, now: number): Run {
  return {
    id, job_id: id, attempt: 1, name: 'worker', command: 'worker', argv: ['worker'], shell: false, cwd: '/tmp', workspace_id: null, source: 'api',
    profile: 'standard', on_runaway: 'kill', restartable: false, pid: 4242, pgid: 4242, lifecycle: 'RUNNING', started_at: now, ended_at: null,
    exit_code: null, signal: null, end_reason: null, peak_cpu_percent: 0, peak_rss_mb: 0, intervened: false, owner: null,
  };
}

function tick(r: Run, t: number): TickFact {
  return {
    kind: 'tick', run: { id: r.id, jobId: r.job_id, name: r.name, executable: 'worker', pid: r.pid }, t,
    cpuMs: 500, cpuUserMs: 400, cpuPercent: 50, rssBytes: 10 << 20, vsizeBytes: 100 << 20, threads: 2, procs: 1, disk: { read: 4096, write: 0 },
  };
}

/** The run ids in one metrics request. */
function runIds(req: ExportMetrics): Set<unknown> {
  const ids = new Set<unknown>();
  for (const rm of req.resourceMetrics)
    for (const sm of rm.scopeMetrics)
      for (const m of sm.metrics) for (const p of (m.sum ?? m.gauge)?.dataPoints ?? []) ids.add(attrs(p.attributes)['flowforge.run.id']);
  return ids;
}

describe('OpenTelemetry export pipeline (in-process, real HTTP)', function () {
  this.timeout(30_000);
  let receiver: OtlpReceiver;
  beforeEach(async () => (receiver = await new OtlpReceiver().start()));
  afterEach(() => receiver.close());

  it('series of a run stop after its end is flushed: a long-lived backend does not report every run it ever saw', async () => {
    const warnings: string[] = [];
    const logger = createLogger((lvl, line) => lvl === 'warn' && warnings.push(line), 'debug');
    const config = exportConfigFrom({ OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `${receiver.url}/v1/metrics`, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_METRIC_EXPORT_INTERVAL: '600000' })!;
    const pipeline = createPipeline(config, logger, { hostName: 'h', userName: 'u', userId: '1', workspace: 'w' });
    const now = Date.now();
    const a = run('run_a', now);
    pipeline.handle({ kind: 'run', run: a });
    pipeline.handle(tick(a, now + 1000));
    pipeline.handle({ kind: 'run', run: { ...a, ended_at: now + 1500, exit_code: 0, end_reason: 'exited', lifecycle: 'STOPPED' } });
    await pipeline.flush();
    const afterA = receiver.decoded<ExportMetrics>('metrics');
    assert.ok(runIds(afterA[afterA.length - 1]!).has('run_a'), 'the ended run\'s last values go out with the flush');

    const b = run('run_b', now + 2000);
    pipeline.handle({ kind: 'run', run: b });
    pipeline.handle(tick(b, now + 3000));
    await pipeline.flush();
    const last = receiver.decoded<ExportMetrics>('metrics').pop()!;
    assert.deepEqual([...runIds(last)], ['run_b'], 'only the live run is reported');
    pipeline.handle(tick(b, now + 4000));
    await pipeline.flush();
    assert.deepEqual([...runIds(receiver.decoded<ExportMetrics>('metrics').pop()!)], ['run_b']);
    await pipeline.shutdown();
    assert.deepEqual(warnings, []);
  });

  it('decisions of every kind become span events (a nudge, a held-back kill; not the sampled "nothing to do"); log severity follows the action; a death by signal is 128 + its number', async () => {
    const config = exportConfigFrom({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_METRICS_EXPORTER: 'none' })!;
    const pipeline = createPipeline(config, createLogger(() => undefined), { hostName: 'h', userName: null, userId: null, workspace: 'w' });
    const now = Date.now();
    const r = run('run_agent', now);
    pipeline.handle({ kind: 'run', run: r });
    // As the journal carries them: the decision record is the row's data.
    const decision = (action: string, intended: string, t: number) => {
      const rules = [{ id: 'tool_loop', title: 'Tool-call loop', fired: action !== 'continue' || intended !== 'continue', confidence: 0.8, detail: '' }];
      const data = { id: `dec_${t}`, run_id: r.id, action, intended, enforced: action === intended, confidence: 0.8, rules, reason: `because ${action}` };
      const fact = decisionFact({ seq: t, t, kind: 'decision', ref_id: data.id, run_id: r.id, incident_id: 'inc_1', workspace_id: null, request_id: null, summary: '', data });
      if (fact) pipeline.handle(fact);
    };
    decision('continue', 'continue', now + 1);
    decision('nudge', 'nudge', now + 2);
    decision('continue', 'kill', now + 3);
    const incident = (action: 'alert' | 'held' | 'kill', t: number) =>
      pipeline.handle({ kind: 'incident', runId: r.id, jobId: r.job_id, t, action, incidentId: 'inc_1', rule: 'tool_loop', rules: ['tool_loop'], confidence: 0.8, title: 'Tool-call loop', explanation: [`FlowForge ${action}: the same tool call 12 times`] });
    incident('alert', now + 2);
    incident('held', now + 3);
    pipeline.handle({ kind: 'run', run: { ...r, ended_at: now + 10, exit_code: null, signal: 'SIGKILL', end_reason: 'killed', lifecycle: 'STOPPED' } });
    await pipeline.shutdown();

    const span = receiver.decoded<ExportTraces>('traces').flatMap((t) => t.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)))[0]!;
    const events = (span.events ?? []).map((e) => attrs(e.attributes));
    assert.deepEqual(events.map((e) => [e['flowforge.decision.action'], e['flowforge.decision.intended']]), [['nudge', 'nudge'], ['continue', 'kill']]);
    assert.equal(events[0]!['flowforge.rule'], 'tool_loop');
    assert.equal(events[0]!['flowforge.confidence'], 0.8);
    assert.equal(attrs(span.attributes)['process.exit.code'], 137);
    assert.equal(Number(span.status?.code), 2);
    const logs = receiver.decoded<ExportLogs>('logs').flatMap((l) => l.resourceLogs.flatMap((rl) => rl.scopeLogs.flatMap((sl) => sl.logRecords)));
    assert.deepEqual(logs.map((l) => [attrs(l.attributes)['flowforge.action'], Number(l.severityNumber), l.severityText]), [['alert', 13, 'WARN'], ['held', 9, 'INFO']]);
    assert.equal(logs[0]!.body?.stringValue, 'FlowForge alert: the same tool call 12 times');
  });
});
