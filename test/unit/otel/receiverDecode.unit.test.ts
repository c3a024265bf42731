// The decoder against the official OpenTelemetry JS SDK: metrics recorded with
// @opentelemetry/sdk-metrics, serialized by the same serializers the OTLP
// exporters use (protobuf and JSON), decoded by FlowForge.
import { strict as assert } from 'node:assert';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { JsonMetricsSerializer, ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { decodeMetricsJson, decodeMetricsProtobuf, jsonSignal, OtlpDecodeError, type MetricPoint } from '../../../server/otel/receiverDecode';

async function recorded(temporality: AggregationTemporality): Promise<ResourceMetrics> {
  const exporter = new InMemoryMetricExporter(temporality);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
  const provider = new MeterProvider({ resource: resourceFromAttributes({ 'service.name': 'claude-code', 'session.id': 's-1' }), readers: [reader] });
  const meter = provider.getMeter('com.anthropic.claude_code');
  const tokens = meter.createCounter('claude_code.token.usage', { unit: 'tokens' });
  const cost = meter.createCounter('claude_code.cost.usage', { unit: 'USD' });
  const latency = meter.createHistogram('gemini_cli.api.request.latency');
  tokens.add(1200, { type: 'input', model: 'claude-sonnet-4-5' });
  tokens.add(300, { type: 'output', model: 'claude-sonnet-4-5' });
  cost.add(0.0125, { model: 'claude-sonnet-4-5' });
  latency.record(40);
  latency.record(60);
  await reader.forceFlush();
  const batch = exporter.getMetrics()[0]!;
  await provider.shutdown();
  return batch;
}

const find = (points: MetricPoint[], name: string, type?: string): MetricPoint => {
  const p = points.find((x) => x.name === name && (type === undefined || x.attributes.type === type));
  assert.ok(p, `no point ${name} ${type ?? ''} in ${JSON.stringify(points.map((x) => x.name))}`);
  return p;
};

function checkPoints(points: MetricPoint[], temporality: 'delta' | 'cumulative'): void {
  const input = find(points, 'claude_code.token.usage', 'input');
  assert.equal(input.value, 1200);
  assert.equal(input.kind, 'sum');
  assert.equal(input.temporality, temporality);
  assert.equal(input.attributes.model, 'claude-sonnet-4-5');
  assert.equal(input.attributes['resource.session.id'], 's-1');
  assert.ok(Math.abs(input.timeMs - Date.now()) < 60_000, `time ${input.timeMs} is now`);
  assert.ok(input.startMs > 0 && input.startMs <= input.timeMs);
  assert.equal(find(points, 'claude_code.token.usage', 'output').value, 300);
  assert.ok(Math.abs(find(points, 'claude_code.cost.usage').value! - 0.0125) < 1e-12);
  const h = find(points, 'gemini_cli.api.request.latency');
  assert.equal(h.kind, 'histogram');
  assert.equal(h.value, 100);
}

describe('OTLP metrics decoding (official SDK serializers)', () => {
  for (const [label, t] of [
    ['cumulative', AggregationTemporality.CUMULATIVE],
    ['delta', AggregationTemporality.DELTA],
  ] as const) {
    it(`decodes http/protobuf, ${label}`, async () => {
      const bytes = ProtobufMetricsSerializer.serializeRequest(await recorded(t))!;
      checkPoints(decodeMetricsProtobuf(bytes), label);
    });

    it(`decodes http/json, ${label}`, async () => {
      const bytes = JsonMetricsSerializer.serializeRequest(await recorded(t))!;
      const body = JSON.parse(Buffer.from(bytes).toString('utf8'));
      assert.equal(jsonSignal(body), 'metrics');
      checkPoints(decodeMetricsJson(body), label);
    });
  }

  it('tells the signals apart in JSON and ignores what it does not know', () => {
    assert.equal(jsonSignal({ resourceLogs: [] }), 'logs');
    assert.equal(jsonSignal({ resourceSpans: [] }), 'traces');
    assert.equal(jsonSignal({ hello: 1 }), null);
    assert.deepEqual(decodeMetricsJson({ resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'x', summary: {} }] }] }] }), []);
  });

  it('rejects a truncated protobuf body with a clear error', async () => {
    const bytes = ProtobufMetricsSerializer.serializeRequest(await recorded(AggregationTemporality.DELTA))!;
    assert.throws(() => decodeMetricsProtobuf(bytes.subarray(0, bytes.length - 7)), OtlpDecodeError);
  });
});
