// A real OTLP/HTTP receiver on loopback for tests: keeps every request's raw
// bytes and headers, and decodes them the way a collector does: protobuf with
// the official opentelemetry-proto definitions (test/fixtures/otlp-proto,
// through protobufjs), or OTLP/JSON. Decoded messages use the OTLP JSON shape
// (lowerCamelCase fields, AnyValue objects), whichever protocol was used.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { FIXTURES } from './processes';

export type OtlpSignal = 'traces' | 'metrics' | 'logs';

export interface ReceivedRequest {
  signal: OtlpSignal | null;
  path: string;
  contentType: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const REQUEST_TYPE: Record<OtlpSignal, string> = {
  traces: 'opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest',
  metrics: 'opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest',
  logs: 'opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest',
};
const PATH_SIGNAL: Record<string, OtlpSignal> = { '/v1/traces': 'traces', '/v1/metrics': 'metrics', '/v1/logs': 'logs' };

let root: protobuf.Root | null = null;
function protoRoot(): protobuf.Root {
  if (root) return root;
  const dir = join(FIXTURES, 'otlp-proto');
  const r = new protobuf.Root();
  r.resolvePath = (_origin, target) => join(dir, target);
  r.loadSync(['opentelemetry/proto/collector/trace/v1/trace_service.proto', 'opentelemetry/proto/collector/metrics/v1/metrics_service.proto', 'opentelemetry/proto/collector/logs/v1/logs_service.proto']);
  return (root = r);
}

export class OtlpReceiver {
  readonly requests: ReceivedRequest[] = [];
  /** Accepted connections, even ones that never sent a whole request. */
  connections = 0;
  private server: Server | null = null;

  /** Starts listening on 127.0.0.1 (port 0: any free port). */
  async start(port = 0): Promise<this> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = (req.url ?? '').split('?')[0]!;
        const contentType = String(req.headers['content-type'] ?? '');
        this.requests.push({ signal: PATH_SIGNAL[path] ?? null, path, contentType, headers: req.headers, body: Buffer.concat(chunks) });
        // An empty Export*ServiceResponse: zero protobuf bytes, or {} in JSON.
        const json = contentType.includes('json');
        res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
        res.end(json ? '{}' : undefined);
      });
    });
    server.on('connection', () => this.connections++);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Every request of one signal, decoded into the OTLP JSON shape. */
  decoded<T = Record<string, unknown>>(signal: OtlpSignal): T[] {
    return this.requests.filter((r) => r.signal === signal).map((r) => decodeRequest(signal, r) as T);
  }

  /** Bytes received per signal (request bodies, as sent on the wire). */
  bytesBySignal(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.requests) out[r.signal ?? r.path] = (out[r.signal ?? r.path] ?? 0) + r.body.length;
    return out;
  }
}

export function decodeRequest(signal: OtlpSignal, r: ReceivedRequest): Record<string, unknown> {
  if (r.contentType.includes('json')) return JSON.parse(r.body.toString('utf8')) as Record<string, unknown>;
  const type = protoRoot().lookupType(REQUEST_TYPE[signal]);
  // OTLP JSON conventions: 64-bit integers as numbers here (test values are small), enums as numbers, ids as hex.
  const obj = type.toObject(type.decode(r.body), { longs: Number, enums: Number, bytes: String, defaults: false, arrays: true }) as Record<string, unknown>;
  return obj;
}

// ---- reading the OTLP shape ---------------------------------------------------

export interface KeyValue {
  key: string;
  value: AnyValue;
}
export interface AnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | string;
  doubleValue?: number;
  arrayValue?: { values?: AnyValue[] };
}

/** An AnyValue as a plain JS value. */
export function plain(v: AnyValue | undefined): unknown {
  if (!v) return undefined;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.arrayValue !== undefined) return (v.arrayValue.values ?? []).map(plain);
  return undefined;
}

/** Attributes (a KeyValue list) as an object. */
export function attrs(list: KeyValue[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of list ?? []) out[kv.key] = plain(kv.value);
  return out;
}
