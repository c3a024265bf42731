import { strict as assert } from 'node:assert';
import { readWindowSettings } from '../../../src/config';

describe('flowforge.telemetry.otlpEndpoint', () => {
  const read = (v: unknown) => {
    const problems: string[] = [];
    const s = readWindowSettings({ get: <T>(k: string) => (k === 'telemetry.otlpEndpoint' ? (v as T) : undefined) }, problems);
    return { value: s.otlpEndpoint, problems };
  };

  it('is empty (no export) by default and takes an http(s) base URL', () => {
    assert.deepEqual(read(undefined), { value: '', problems: [] });
    assert.deepEqual(read('http://localhost:4318'), { value: 'http://localhost:4318', problems: [] });
    assert.equal(read('https://otel.example.com/otlp').value, 'https://otel.example.com/otlp');
  });

  it('a value that is not an http(s) URL falls back to no export, with a message naming the setting', () => {
    for (const bad of ['localhost:4318', 'grpc://c:4317', 42]) {
      const r = read(bad);
      assert.equal(r.value, '');
      assert.match(r.problems[0]!, /flowforge\.telemetry\.otlpEndpoint has an invalid value/);
    }
  });
});
