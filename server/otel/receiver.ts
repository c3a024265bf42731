// FlowForge's own OTLP/HTTP receiver for agents' telemetry: where a
// supervised agent (Claude Code, Gemini CLI, ...) sends its token and cost
// counters when the run has --agent-telemetry. It listens on 127.0.0.1 on a
// port the system picks, and each run gets an unguessable token that is part
// of its endpoint's path (http://127.0.0.1:PORT/otlp/<token>); a request
// without a live token is refused (401), so another local process cannot feed
// a run numbers that would stop it or hide its spending. A bearer header with
// the token is accepted too. Metrics are decoded (http/protobuf and http/json);
// logs and traces are answered 200 and dropped, so an agent that exports them
// too sees no errors. Loaded only when a run asks for agent telemetry.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import type { Logger } from '../util/logger';
import { decodeMetricsJson, decodeMetricsProtobuf, jsonSignal, type MetricPoint } from './receiverDecode';

/** An export larger than this is refused (an agent's metrics are a few KB). */
const MAX_BODY = 4 * 1024 * 1024;
/** Where each run's endpoint lives: /otlp/<token>. */
const PREFIX = '/otlp/';

export type Signal = 'metrics' | 'logs' | 'traces';

export interface ReceiverGrant {
  /** Base endpoint (OTEL_EXPORTER_OTLP_ENDPOINT): exporters add /v1/metrics, /v1/logs, /v1/traces. */
  endpoint: string;
  /** The metrics endpoint itself (OTEL_EXPORTER_OTLP_METRICS_ENDPOINT). */
  metricsUrl: string;
  revoke(): void;
}

export interface ReceiverStats {
  requests: number;
  rejected: number;
  points: number;
  bytes: number;
  /** Time spent decoding and handing points over, ms (the receiver's cost on the supervisor). */
  handleMs: number;
}

type OnPoints = (points: MetricPoint[]) => void;

const digest = (token: string): string => createHash('sha256').update(token).digest('hex');

export class OtlpReceiver {
  /** By the token's digest, so a lookup never compares secrets byte by byte. */
  private readonly runs = new Map<string, { runId: string; onPoints: OnPoints }>();
  private readonly counts: ReceiverStats = { requests: 0, rejected: 0, points: 0, bytes: 0, handleMs: 0 };
  private closed = false;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly logger: Logger,
  ) {}

  static async open(logger: Logger): Promise<OtlpReceiver> {
    let receiver: OtlpReceiver | null = null;
    const server = createServer((req, res) => receiver!.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    server.on('error', (err) => logger.error('agent telemetry receiver failed', { error: err.message }));
    server.unref();
    receiver = new OtlpReceiver(server, (server.address() as AddressInfo).port, logger);
    return receiver;
  }

  grant(runId: string, onPoints: OnPoints): ReceiverGrant {
    const token = randomBytes(32).toString('base64url');
    const key = digest(token);
    this.runs.set(key, { runId, onPoints });
    const endpoint = `http://127.0.0.1:${this.port}${PREFIX}${token}`;
    return { endpoint, metricsUrl: `${endpoint}/v1/metrics`, revoke: () => this.runs.delete(key) };
  }

  stats(): ReceiverStats {
    return { ...this.counts };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.runs.clear();
    this.server.closeAllConnections?.();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    this.counts.requests++;
    const refuse = (status: number, message: string) => {
      this.counts.rejected++;
      req.resume();
      send(res, status, 'text/plain', `${message}\n`);
    };
    const route = parseRoute(req.url ?? '/', req.headers.authorization);
    const run = route ? this.runs.get(digest(route.token)) : undefined;
    if (!route || !run) return refuse(401, 'unknown or expired token (the run has ended, or this is not a FlowForge run)');
    if (route.signal === 'invalid') return refuse(404, 'only POST /v1/metrics, /v1/logs and /v1/traces are served');
    if (req.method !== 'POST') return refuse(405, 'only POST is served');
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    const format = type === 'application/x-protobuf' ? 'protobuf' : type === 'application/json' ? 'json' : null;
    if (!format) return refuse(415, 'send application/x-protobuf or application/json');
    readBody(req, (err, body) => {
      if (err) return refuse(err.status, err.message);
      const started = performance.now();
      try {
        const points = this.decode(format, route.signal as Signal | null, body!, req.headers['content-encoding']);
        if (points.length) run.onPoints(points);
        this.counts.points += points.length;
        this.counts.bytes += body!.length;
      } catch (e) {
        this.logger.warn('agent telemetry: an export could not be read', { run_id: run.runId, error: (e as Error).message });
        return refuse(400, `could not read the export: ${(e as Error).message}`);
      } finally {
        this.counts.handleMs += performance.now() - started;
      }
      // An empty ExportMetricsServiceResponse: zero bytes in protobuf, {} in JSON.
      if (format === 'json') send(res, 200, 'application/json', '{}');
      else send(res, 200, 'application/x-protobuf', '');
    });
  }

  /** The export's metric points; logs and traces give none. A path without /v1/<signal> (Gemini CLI's http mode) is told by its JSON. */
  private decode(format: 'protobuf' | 'json', signal: Signal | null, raw: Buffer, encoding: string | undefined): MetricPoint[] {
    const body = encoding === 'gzip' ? gunzipSync(raw, { maxOutputLength: MAX_BODY }) : raw;
    if (encoding && encoding !== 'gzip' && encoding !== 'identity') throw new Error(`content-encoding ${encoding} is not supported`);
    if (format === 'protobuf') return signal === 'metrics' || signal === null ? decodeMetricsProtobuf(body) : [];
    const json: unknown = JSON.parse(body.toString('utf8'));
    const kind = signal ?? jsonSignal(json);
    return kind === 'metrics' ? decodeMetricsJson(json) : [];
  }
}

/** /otlp/<token>[/v1/<signal>], or /v1/<signal> with the token as a bearer header. */
function parseRoute(url: string, authorization: string | undefined): { token: string; signal: Signal | null | 'invalid' } | null {
  const path = url.split('?')[0]!.replace(/\/+$/, '');
  const bearer = authorization?.startsWith('Bearer ') ? authorization.slice(7).trim() : null;
  let token: string | null = null;
  let rest = path;
  if (path.startsWith(PREFIX)) {
    const after = path.slice(PREFIX.length);
    const slash = after.indexOf('/');
    token = slash < 0 ? after : after.slice(0, slash);
    rest = slash < 0 ? '' : after.slice(slash);
  } else token = bearer;
  if (!token) return null;
  if (rest === '') return { token, signal: null };
  const m = /^\/v1\/(metrics|logs|traces)$/.exec(rest);
  return { token, signal: m ? (m[1] as Signal) : 'invalid' };
}

function readBody(req: IncomingMessage, done: (err: { status: number; message: string } | null, body?: Buffer) => void): void {
  const parts: Buffer[] = [];
  let size = 0;
  let over = false;
  req.on('data', (d: Buffer) => {
    size += d.length;
    if (size > MAX_BODY) over = true;
    else parts.push(d);
  });
  req.on('error', (e) => done({ status: 400, message: e.message }));
  req.on('end', () => (over ? done({ status: 413, message: `an export over ${MAX_BODY >> 20} MB is not read` }) : done(null, Buffer.concat(parts))));
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
