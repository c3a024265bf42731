import { strict as assert } from 'node:assert';
import { displayUrl, ExportConfigError, exportConfigFrom, parseHeaders } from '../../../server/otel/exportConfig';

describe('OpenTelemetry export configuration', () => {
  it('is off with nothing configured, and with OTEL_SDK_DISABLED=true whatever else is set', () => {
    assert.equal(exportConfigFrom({}), null);
    assert.equal(exportConfigFrom({ OTEL_EXPORTER_OTLP_HEADERS: 'a=b', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }), null, 'headers alone send nothing');
    assert.equal(exportConfigFrom({ OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }, { endpoint: 'http://d:4318' }), null);
    assert.notEqual(exportConfigFrom({ OTEL_SDK_DISABLED: 'false', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }), null);
  });

  it('a base endpoint gets each signal\'s path; a signal\'s own endpoint is used as given; --otlp-endpoint wins over the base', () => {
    const c = exportConfigFrom({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318/', OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'https://logs.example/otlp/custom' })!;
    assert.equal(c.targets.traces!.url, 'http://c:4318/v1/traces');
    assert.equal(c.targets.metrics!.url, 'http://c:4318/v1/metrics');
    assert.equal(c.targets.logs!.url, 'https://logs.example/otlp/custom');
    const flag = exportConfigFrom({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://env:4318' }, { endpoint: 'http://flag:4318/base' })!;
    assert.equal(flag.targets.traces!.url, 'http://flag:4318/base/v1/traces');
  });

  it('only the signals configured are exported; OTEL_<SIGNAL>S_EXPORTER=none turns one off', () => {
    const only = exportConfigFrom({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://t:4318/v1/traces' })!;
    assert.deepEqual(Object.keys(only.targets), ['traces']);
    const noMetrics = exportConfigFrom({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_METRICS_EXPORTER: 'none' })!;
    assert.deepEqual(Object.keys(noMetrics.targets), ['traces', 'logs']);
  });

  it('protocol, headers (URL-encoded values; FLOWFORGE_OTLP_HEADERS and per-signal ones added), timeout and interval', () => {
    const c = exportConfigFrom({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20abc, x-a = 1',
      FLOWFORGE_OTLP_HEADERS: 'x-team=t1',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-a=2',
      OTEL_EXPORTER_OTLP_TIMEOUT: '2500',
      OTEL_METRIC_EXPORT_INTERVAL: '1000',
      OTEL_RESOURCE_ATTRIBUTES: 'team=infra,ci.runner=r1',
    })!;
    assert.equal(c.targets.traces!.protocol, 'http/json');
    assert.equal(c.targets.metrics!.protocol, 'http/protobuf');
    assert.deepEqual(c.targets.logs!.headers, { authorization: 'Bearer abc', 'x-a': '1', 'x-team': 't1' });
    assert.equal(c.targets.traces!.headers['x-a'], '2');
    assert.equal(c.timeoutMs, 2500);
    assert.equal(c.metricIntervalMs, 1000);
    assert.deepEqual(c.resourceAttributes, { team: 'infra', 'ci.runner': 'r1' });
    const d = exportConfigFrom({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' })!;
    assert.equal(d.targets.traces!.protocol, 'http/protobuf', 'the standard default');
    assert.equal(d.metricIntervalMs, 60_000);
  });

  it('values that cannot work are actionable errors that never quote a header value', () => {
    const err = (env: Record<string, string>) => {
      try {
        exportConfigFrom(env);
      } catch (e) {
        assert.ok(e instanceof ExportConfigError);
        return e.message;
      }
      assert.fail('expected an error');
    };
    assert.match(err({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }), /grpc is not supported.*http\/protobuf/);
    assert.match(err({ OTEL_EXPORTER_OTLP_ENDPOINT: 'c:4318:x' }), /must be an http:\/\/ or https:\/\/ URL/);
    assert.match(err({ OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' }), /is not a URL/);
    assert.match(err({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c', OTEL_EXPORTER_OTLP_TIMEOUT: '-1' }), /positive number/);
    const secret = 'Bearer s3cr3t-value';
    const m = err({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c', OTEL_EXPORTER_OTLP_HEADERS: secret });
    assert.match(m, /OTEL_EXPORTER_OTLP_HEADERS: an entry has no '='/);
    assert.ok(!m.includes('s3cr3t'));
    assert.throws(() => parseHeaders('a=%E0%A4%A', 'X'), /'a' is not valid URL encoding/);
  });

  it('a URL is shown without credentials, query or fragment', () => {
    assert.equal(displayUrl('https://user:pass@collector.example:4318/v1/traces?token=abc#x'), 'https://collector.example:4318/v1/traces');
  });
});
