// The export pipeline in-process against a real OTLP/HTTP receiver on
// loopback: what a long-lived backend sends as runs come and go.
import { strict as assert } from 'node:assert';
import { createPipeline } from '../../../server/otel/exportSdk';
import type { TickFact } from '../../../server/otel/export';
import { exportConfigFrom } from '../../../server/otel/exportConfig';
import type { Run } from '../../../server/shared/protocol/domain';
import { createLogger } from '../../../server/util/logger';
import { attrs, OtlpReceiver, type KeyValue } from '../../helpers/otlpReceiver';

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
});
