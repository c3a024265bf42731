// `flowforge bench otel`: what FlowForge's OpenTelemetry export costs.
// Start-up: `flowforge run -- true` with the export off (no OTEL_* variables:
// the SDK must not even load) and on (pointed at a loopback OTLP/HTTP receiver
// in this process), in alternating pairs under /usr/bin/time (wall, CPU, peak
// RSS), ratios per pair. Payload: a real runaway (`yes`, stopped by FlowForge)
// exported with metrics every second, once per protocol: bytes and requests
// per signal as the receiver got them.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { numberFlag, parse } from '../util/args';
import { renderTable } from '../util/table';
import { CLI, measure, spread, TIME, type Measured, type Spread } from './overheadBench';
import { median } from './stats';

interface Received {
  requests: number;
  bytes: Record<string, number>;
}

async function startReceiver(): Promise<{ server: Server; url: string; received: Received }> {
  const received: Received = { requests: 0, bytes: {} };
  const server = createServer((req, res) => {
    let n = 0;
    req.on('data', (c: Buffer) => (n += c.length));
    req.on('end', () => {
      const path = (req.url ?? '').replace(/^\/v1\//, '');
      received.requests++;
      received.bytes[path] = (received.bytes[path] ?? 0) + n;
      const json = String(req.headers['content-type']).includes('json');
      res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
      res.end(json ? '{}' : undefined);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

/** This process's environment without any OTEL_* variable: "off" must mean off. */
function envWithout(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('OTEL_') && k !== 'FLOWFORGE_OTLP_HEADERS') env[k] = v;
  return { ...env, ...extra };
}

const run = (db: string, job: string[]) => [process.execPath, CLI, 'run', '--no-api', '--quiet', '--db', db, '--', ...job];
const round = (x: number) => Math.round(x * 10) / 10;

interface StartUp {
  pairs: number;
  off: { wall_ms: number[]; cpu_ms: number[]; peak_rss_mb: number[] };
  on: { wall_ms: number[]; cpu_ms: number[]; peak_rss_mb: number[] };
  wall_ratio: Spread;
  rss_ratio: Spread;
}

async function startUp(pairs: number, url: string, dir: string): Promise<StartUp> {
  const off: Measured[] = [];
  const on: Measured[] = [];
  for (let i = 0; i < pairs; i++) {
    // Alternate which goes first so drift in machine load does not favour one side.
    for (const side of i % 2 === 0 ? ['off', 'on'] : ['on', 'off']) {
      const env = side === 'on' ? envWithout({ OTEL_EXPORTER_OTLP_ENDPOINT: url }) : envWithout();
      (side === 'on' ? on : off).push(await measure(run(join(dir, `${side}.db`), ['true']), dir, { env }));
    }
  }
  const list = (ms: Measured[]) => ({ wall_ms: ms.map((m) => round(m.wallMs)), cpu_ms: ms.map((m) => round(m.cpuMs)), peak_rss_mb: ms.map((m) => round(m.maxRssKb / 1024)) });
  return {
    pairs,
    off: list(off),
    on: list(on),
    wall_ratio: spread(on.map((m, i) => m.wallMs / off[i]!.wallMs)),
    rss_ratio: spread(on.map((m, i) => m.maxRssKb / off[i]!.maxRssKb)),
  };
}

interface Payload {
  protocol: string;
  run_ms: number;
  requests: number;
  bytes: Record<string, number>;
}

async function payload(protocol: string, dir: string): Promise<Payload> {
  const { server, url, received } = await startReceiver();
  try {
    const env = envWithout({ OTEL_EXPORTER_OTLP_ENDPOINT: url, OTEL_EXPORTER_OTLP_PROTOCOL: protocol, OTEL_METRIC_EXPORT_INTERVAL: '1000' });
    // `yes`: a real program printing one line for ever at full CPU; FlowForge stops it (exit 137).
    // A store of its own per protocol: a runaway already recorded in the store is recognised sooner.
    const m = await measure(run(join(dir, `payload-${protocol.replace('/', '-')}.db`), ['yes', 'retrying the same request']), dir, { env, okCodes: [137] });
    return { protocol, run_ms: round(m.wallMs), requests: received.requests, bytes: { ...received.bytes } };
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

export async function runOtelBench(argv: string[]): Promise<{ json: unknown; table: string }> {
  const { values } = parse(argv, { pairs: { type: 'string' } });
  const pairs = numberFlag(values, 'pairs', { min: 1, max: 50, integer: true }) ?? 10;
  if (!existsSync(TIME)) throw new Error(`${TIME} is needed to read each side's CPU and peak RSS (Debian: apt-get install time)`);
  const dir = mkdtempSync(join(tmpdir(), 'ff-bench-otel-'));
  const loadBefore = loadavg();
  const { server, url } = await startReceiver();
  try {
    const start = await startUp(pairs, url, dir);
    server.closeAllConnections();
    server.close();
    const payloads = [await payload('http/protobuf', dir), await payload('http/json', dir)];
    const machine = { loadavg_before: loadBefore, loadavg_after: loadavg() };
    const f2 = (x: number) => x.toFixed(2);
    const side = (name: string, s: StartUp['off']) => ({ name, wall: median(s.wall_ms), cpu: median(s.cpu_ms), rss: median(s.peak_rss_mb) });
    const table = [
      `flowforge run -- true, ${pairs} alternating pairs`,
      renderTable([side('export off (no OTEL_* variables)', start.off), side('export on (loopback receiver)', start.on)], [
        { title: 'side', value: (r) => r.name },
        { title: 'wall ms (median)', value: (r) => r.wall.toFixed(0), align: 'right' },
        { title: 'CPU ms', value: (r) => r.cpu.toFixed(0), align: 'right' },
        { title: 'peak RSS MB', value: (r) => r.rss.toFixed(1), align: 'right' },
      ]),
      `on ÷ off per pair: wall ${f2(start.wall_ratio.median)} (${f2(start.wall_ratio.min)}–${f2(start.wall_ratio.max)}), peak RSS ${f2(start.rss_ratio.median)} (${f2(start.rss_ratio.min)}–${f2(start.rss_ratio.max)})`,
      '',
      'a runaway (`yes`) exported until FlowForge stops it, metrics every second',
      renderTable(payloads, [
        { title: 'protocol', value: (p) => p.protocol },
        { title: 'run ms', value: (p) => p.run_ms.toFixed(0), align: 'right' },
        { title: 'requests', value: (p) => p.requests, align: 'right' },
        { title: 'metrics B', value: (p) => p.bytes.metrics ?? 0, align: 'right' },
        { title: 'traces B', value: (p) => p.bytes.traces ?? 0, align: 'right' },
        { title: 'logs B', value: (p) => p.bytes.logs ?? 0, align: 'right' },
      ]),
      `load average ${loadBefore.map(f2).join(' ')} before, ${machine.loadavg_after.map(f2).join(' ')} after`,
    ].join('\n');
    return { json: { start_up: start, payloads, machine }, table };
  } finally {
    server.closeAllConnections();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
