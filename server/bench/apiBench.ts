// `flowforge bench api`: the /v1 API under load, as deployed. A store file is
// filled with 100k journal events (a realistic mix, with a few hundred
// incidents), `flowforge serve` opens it in its own process, and this process
// plays the clients:
// 1. 50 concurrent keep-alive clients page through GET /v1/timeline, then
//    GET /v1/incidents, following next_cursor (20 pages deep, then again);
//    latency p50/p99 and throughput per endpoint. Twice: `saturate` (each
//    client sends its next request the moment the last one answers, so the
//    latency is mostly queueing: clients ÷ throughput) and `paced` (each
//    client polls at a steady rate, latency counted from when the request was
//    due, so a slow answer also delays and charges the next one).
// 2. 100 SSE subscribers on GET /v1/stream while events are published through
//    the API; delivery latency (event time → received) and whether every
//    subscriber got every event exactly once, in order.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request, type IncomingMessage } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateApiKey } from '../shared/apiKeyGen';
import { numberFlag, parse } from '../util/args';
import type { AuditEvent, Incident, LifecycleEvent, Run } from '../shared/protocol/domain';
import { DEFAULT_RETENTION, openStore, type SqlEvidenceStore } from '../store';
import { parseProcStat } from '../supervisor/processTable';
import { renderTable } from '../util/table';
import { percentiles, type Latency } from './stats';

const CLI = join(__dirname, 'cli.js');
const HOUR = 3_600_000;
const WORKSPACE = 'bench-ws';
const NEXT_CURSOR = /"next_cursor":"([^"]+)","has_more":true\}$/;

/** How the clients send: flat out, or each at a steady rate (requests per second per client). */
type Pace = { mode: 'saturate' } | { mode: 'paced'; perClient: number };

interface LoadResult extends Latency {
  endpoint: string;
  mode: Pace['mode'];
  /** Requests per second the clients meant to send (paced), or null (saturate: as fast as answered). */
  offered_per_second: number | null;
  /** `same`: every client pages with limit=100 (the page cache serves repeats); `varied`: a random limit per page, so pages are mostly built. */
  pages: 'same' | 'varied';
  requests: number;
  errors: number;
  per_second: number;
  pages_deepest: number;
  cache_hit_ratio: number;
  /** The server process's own CPU time per request (Linux): what a request costs, whatever else runs on the machine. */
  server_cpu_ms_per_request: number | null;
}

interface FanoutResult extends Latency {
  subscribers: number;
  events: number;
  complete: boolean;
  missing: number;
  duplicates_or_out_of_order: number;
  publish_seconds: number;
}

// ------------------------------------------------------------------ the store

function runOf(n: number, t: number): Run {
  const id = `run_api${String(n).padStart(7, '0')}`;
  return {
    id, job_id: id, attempt: 1, name: `agent-task-${n % 17}`, command: 'python agent.py --task refactor', argv: ['python', 'agent.py', '--task', 'refactor'],
    shell: false, cwd: '/home/dev/project', workspace_id: WORKSPACE, source: 'api', profile: 'agent', on_runaway: 'restart', restartable: true,
    pid: 10_000 + n, pgid: 10_000 + n, lifecycle: 'STOPPED', started_at: t, ended_at: t + HOUR, exit_code: 0, signal: null, end_reason: 'exited',
    peak_cpu_percent: 40 + (n % 60), peak_rss_mb: 200 + (n % 300), intervened: n % 4 === 0, owner: 'bench',
  };
}

function incidentOf(run: Run, n: number, t: number): Incident {
  return {
    id: `inc_api${String(n).padStart(7, '0')}`, run_id: run.id, job_id: run.job_id, workspace_id: run.workspace_id, name: run.name,
    kind: n % 3 ? 'cpu_loop' : 'output_loop', title: 'Runaway: tool-call loop', reason: 'the same 3-line cycle at 40 lines/s for 62 s with no progress',
    status: 'closed', opened_at: t, updated_at: t, closed_at: t + 5000, action: 'restart', intended: 'restart', enforced: true, actor: 'flowforge',
    rules: ['output_loop'], confidence: 0.88, peak_cpu_percent: 97, peak_rss_mb: 410, decision_count: 4, first_decision_id: null, last_decision_id: null,
    templates: ['calling tool <name> with args <n>', 'tool returned error <n>'], evidence: ['calling tool search with args 3', 'tool returned error 429'],
  };
}

/**
 * 100k journal rows within the last day: per run, a start and an end note,
 * lifecycle transitions and audit rows, and every 200th event an incident
 * (opened and closed). Decisions are left out on purpose: the store drops
 * `continue` decisions by age and caps them, which would blur the count.
 */
async function fillStore(path: string, events: number): Promise<{ seconds: number; latestSeq: number; incidents: number }> {
  const { store } = await openStore({ path, retention: { ...DEFAULT_RETENTION, maxLifecycleEvents: Infinity, maxAuditEvents: Infinity, maxJournalRows: Infinity } });
  const started = performance.now();
  const t0 = Date.now() - 20 * HOUR;
  let run = runOf(0, t0);
  let incidents = 0;
  for (let i = 0; store.latestSeq() < events; i++) {
    const t = t0 + i * 500;
    if (i % 100 === 0) {
      run = runOf(i / 100, t);
      store.upsertRun(run, { summary: `${run.name}: attempt 1 starting` });
    }
    addEvent(store, run, i, t);
    if (i % 200 === 199) {
      const inc = incidentOf(run, incidents++, t);
      store.upsertIncident({ ...inc, status: 'open', closed_at: null }, { summary: `${run.name}: ${inc.title}` });
      store.upsertIncident(inc, { summary: `${run.name}: incident closed` });
    }
    if (i % 5000 === 0) await new Promise((r) => setImmediate(r));
  }
  const latestSeq = store.latestSeq();
  await store.close();
  return { seconds: (performance.now() - started) / 1000, latestSeq, incidents };
}

function addEvent(store: SqlEvidenceStore, run: Run, i: number, t: number): void {
  if (i % 3 === 0) {
    const a: AuditEvent = {
      id: `aud_api${i}`, t, actor: i % 2 ? 'flowforge' : 'api:extension', action: i % 2 ? 'auto_restart' : 'stop',
      reason: 'tool-call loop: the same 3-line cycle for 62 s', request_id: `req_api${i}`, run_id: run.id, workspace_id: WORKSPACE, details: { attempt: 1 },
    };
    store.addAudit(a);
    return;
  }
  const phases = ['STARTING', 'RUNNING', 'STOPPING', 'STOPPED'] as const;
  const phase = phases[i % 4]!;
  const e: LifecycleEvent = {
    id: `lc_api${i}`, t, run_id: run.id, job_id: run.job_id, phase, previous: i % 4 ? phases[(i % 4) - 1]! : null, reason: `pid ${run.pid}`, request_id: null,
  };
  store.addLifecycle(e);
}

// ------------------------------------------------------------------ the server

async function startServe(db: string, key: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [CLI, 'serve', '--api-port', '0', '--db', db, '--quiet'], {
    env: { ...process.env, FLOWFORGE_API_KEY: key },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /FlowForge API: (\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`flowforge serve exited with ${code}: ${err.slice(0, 500)}`)));
  });
  return { child, url };
}

function stopServe(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

// ------------------------------------------------------------------ clients

interface Http {
  get(path: string): Promise<{ status: number; body: string }>;
  post(path: string, body: unknown): Promise<{ status: number; body: string }>;
  close(): void;
}

function httpClient(url: string, key: string, sockets: number): Http {
  const base = new URL(url);
  const agent = new Agent({ keepAlive: true, maxSockets: sockets });
  const send = (method: string, path: string, body?: unknown) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const headers: Record<string, string> = { authorization: `Bearer ${key}` };
      if (payload) headers['content-type'] = 'application/json';
      const req = request({ host: base.hostname, port: base.port, method, path: base.pathname + path, agent, headers }, (res: IncomingMessage) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      req.end(payload);
    });
  return { get: (p) => send('GET', p), post: (p, b) => send('POST', p, b), close: () => agent.destroy() };
}

/** CPU time the process has used, ms (Linux /proc; null elsewhere). */
function cpuMsOf(pid: number): number | null {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'latin1'))?.cpuMs ?? null;
  } catch {
    return null;
  }
}

async function cacheCounts(http: Http): Promise<{ hit: number; miss: number }> {
  const text = (await http.get('/metrics')).body;
  const count = (result: string) => Number(new RegExp(`^flowforge_page_cache_total\\{result="${result}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  return { hit: count('hit'), miss: count('miss') };
}

/** Waits until the server has saved the store (a save of a big store blocks it); returns how long the save took. */
async function settle(http: Http): Promise<number> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const text = (await http.get('/metrics')).body;
    const unsaved = /^flowforge_store_unsaved_changes (\d+)/m.exec(text)?.[1];
    if (unsaved === '0') return Number(/^flowforge_store_last_save_seconds (\S+)/m.exec(text)?.[1] ?? NaN);
    if (Date.now() > deadline) throw new Error('the server did not save its store within 60 s');
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** `clients` loops, each paging through `path` with cursors for `seconds`. */
async function pageLoad(http: Http, serverPid: number, path: string, clients: number, seconds: number, pages: LoadResult['pages'], pace: Pace): Promise<LoadResult> {
  const before = await cacheCounts(http);
  const cpuBefore = cpuMsOf(serverPid);
  const latencies: number[] = [];
  let errors = 0;
  let deepest = 0;
  const end = performance.now() + seconds * 1000;
  const interval = pace.mode === 'paced' ? 1000 / pace.perClient : 0;
  const client = async () => {
    let cursor: string | null = null;
    let page = 0;
    // Paced clients start at random phases so they do not arrive in lockstep.
    let due = performance.now() + Math.random() * interval;
    while (performance.now() < end) {
      if (pace.mode === 'paced') {
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      // Measured from when the request was due, not when it went out (no coordinated omission).
      const t = pace.mode === 'paced' ? due : performance.now();
      due += interval;
      const limit = pages === 'same' ? 100 : 50 + Math.floor(Math.random() * 51);
      const res = await http.get(`${path}?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      latencies.push(performance.now() - t);
      if (res.status !== 200) {
        errors++;
        cursor = null;
        continue;
      }
      // The envelope ends the page; reading it from the tail keeps the client's own CPU out of the numbers.
      const next = NEXT_CURSOR.exec(res.body.slice(-400))?.[1] ?? null;
      page = next && page < 20 ? page + 1 : 0;
      deepest = Math.max(deepest, page);
      cursor = page ? next : null;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: clients }, client));
  const elapsed = (performance.now() - started) / 1000;
  const cpuAfter = cpuMsOf(serverPid);
  const after = await cacheCounts(http);
  const hits = after.hit - before.hit;
  return {
    endpoint: `GET /v1${path}`,
    mode: pace.mode,
    offered_per_second: pace.mode === 'paced' ? pace.perClient * clients : null,
    pages,
    requests: latencies.length,
    errors,
    per_second: latencies.length / elapsed,
    pages_deepest: deepest,
    cache_hit_ratio: hits / Math.max(1, hits + after.miss - before.miss),
    server_cpu_ms_per_request: cpuBefore === null || cpuAfter === null ? null : (cpuAfter - cpuBefore) / Math.max(1, latencies.length),
    ...percentiles(latencies),
  };
}

interface Subscriber {
  ids: number[];
  latencies: number[];
  connected: Promise<void>;
  close(): void;
}

function subscribe(url: string, key: string): Subscriber {
  const base = new URL(url);
  const sub: Subscriber = { ids: [], latencies: [], connected: Promise.resolve(), close: () => undefined };
  sub.connected = new Promise((resolve, reject) => {
    const req = request(
      { host: base.hostname, port: base.port, path: `${base.pathname}/stream?samples=0`, headers: { authorization: `Bearer ${key}`, accept: 'text/event-stream' } },
      (res) => {
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          buffer += d;
          let i: number;
          while ((i = buffer.indexOf('\n\n')) >= 0) {
            const frame = buffer.slice(0, i);
            buffer = buffer.slice(i + 2);
            if (frame.includes(': connected')) resolve();
            const id = /^id: (\d+)$/m.exec(frame);
            const data = /^data: (.*)$/m.exec(frame);
            if (!id || !data || !frame.includes('"action":"protection_')) continue;
            sub.ids.push(Number(id[1]));
            sub.latencies.push(Date.now() - (JSON.parse(data[1]!) as { t: number }).t);
          }
        });
      },
    );
    req.on('error', reject);
    req.end();
    sub.close = () => req.destroy();
  });
  return sub;
}

/** Publishes `events` audit events through the API (protection toggles) and checks every subscriber got each once, in order. */
async function fanout(http: Http, url: string, key: string, subscribers: number, events: number): Promise<FanoutResult> {
  const subs = Array.from({ length: subscribers }, () => subscribe(url, key));
  await Promise.all(subs.map((s) => s.connected));
  const started = performance.now();
  for (let i = 0; i < events; i++) {
    const res = await http.post(`/integrations/workspaces/${WORKSPACE}/protection`, { enabled: i % 2 === 1, reason: `bench ${i}` });
    if (res.status !== 200) throw new Error(`publishing failed: ${res.status} ${res.body.slice(0, 200)}`);
  }
  const publishSeconds = (performance.now() - started) / 1000;
  const deadline = Date.now() + 30_000;
  while (subs.some((s) => s.ids.length < events) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 200)); // anything extra (duplicates) arrives too
  subs.forEach((s) => s.close());
  let missing = 0;
  let disorder = 0;
  for (const s of subs) {
    missing += Math.max(0, events - new Set(s.ids).size);
    disorder += s.ids.filter((id, i) => i > 0 && id <= s.ids[i - 1]!).length;
  }
  return {
    subscribers,
    events,
    complete: missing === 0 && disorder === 0 && subs.every((s) => s.ids.length === events),
    missing,
    duplicates_or_out_of_order: disorder,
    publish_seconds: publishSeconds,
    ...percentiles(subs.flatMap((s) => s.latencies)),
  };
}

// ------------------------------------------------------------------ entry

function goalMet(loads: LoadResult[]): Record<`${Pace['mode']}_${LoadResult['pages']}`, boolean> {
  const met = (mode: Pace['mode'], pages: LoadResult['pages']) => loads.filter((l) => l.mode === mode && l.pages === pages).every((l) => l.p99 < 25 && l.errors === 0);
  return { saturate_same: met('saturate', 'same'), saturate_varied: met('saturate', 'varied'), paced_same: met('paced', 'same'), paced_varied: met('paced', 'varied') };
}

export async function runApiBench(argv: string[]): Promise<{ json: unknown; table: string }> {
  const { values } = parse(argv, { events: { type: 'string' }, clients: { type: 'string' }, seconds: { type: 'string' }, rate: { type: 'string' }, subscribers: { type: 'string' }, publish: { type: 'string' } });
  const events = numberFlag(values, 'events', { min: 1000, max: 1_000_000, integer: true }) ?? 100_000;
  const clients = numberFlag(values, 'clients', { min: 1, max: 500, integer: true }) ?? 50;
  const seconds = numberFlag(values, 'seconds', { min: 1, max: 600 }) ?? 10;
  const rate = numberFlag(values, 'rate', { min: 0.1, max: 1000 }) ?? 10;
  const subscribers = numberFlag(values, 'subscribers', { min: 1, max: 1000, integer: true }) ?? 100;
  const publish = numberFlag(values, 'publish', { min: 1, max: 100_000, integer: true }) ?? 1000;

  const dir = mkdtempSync(join(tmpdir(), 'ff-apibench-'));
  const db = join(dir, 'bench.db');
  const key = generateApiKey();
  try {
    const fill = await fillStore(db, events);
    const { child, url } = await startServe(db, key);
    const http = httpClient(url, key, clients);
    try {
      const register = await http.post('/integrations/workspaces/register', { workspace_id: WORKSPACE, workspace_path: dir, client: 'bench' });
      if (register.status >= 300) throw new Error(`register failed: ${register.body}`);
      const saveSeconds = await settle(http);
      await pageLoad(http, child.pid!, '/timeline', clients, 1, 'same', { mode: 'saturate' }); // warm-up: JIT, caches, sockets
      const loads: LoadResult[] = [];
      for (const pace of [{ mode: 'saturate' }, { mode: 'paced', perClient: rate }] as const)
        for (const pages of ['same', 'varied'] as const)
          for (const path of ['/timeline', '/incidents']) loads.push(await pageLoad(http, child.pid!, path, clients, seconds, pages, pace));
      const sse = await fanout(http, url, key, subscribers, publish);
      const json = {
        config: { events, clients, seconds, rate_per_client: rate, subscribers, publish },
        machine: { cpus: cpus().length, load_average_1m: loadavg()[0] },
        store: { journal_events: fill.latestSeq, incidents: fill.incidents, fill_seconds: fill.seconds, save_seconds: saveSeconds },
        reads: loads,
        stream: sse,
        goal: { p99_ms: 25, met: goalMet(loads) },
      };
      const ms = (v: number) => `${v.toFixed(2)} ms`;
      const table = [
        `${fill.latestSeq} journal events, ${fill.incidents} incidents; ${clients} concurrent clients, ${seconds} s per endpoint`,
        `machine: ${cpus().length} cores, load average ${loadavg()[0]!.toFixed(1)} (server and clients share these cores)`,
        `(one save of this store blocks the server for ${(saveSeconds * 1000).toFixed(0)} ms; the reads are measured between saves)`,
        renderTable(loads, [
          { title: 'endpoint', value: (r) => r.endpoint },
          { title: 'clients send', value: (r) => (r.mode === 'paced' ? `${r.offered_per_second} req/s` : 'flat out') },
          { title: 'pages', value: (r) => r.pages },
          { title: 'cache hits', value: (r) => `${Math.round(r.cache_hit_ratio * 100)}%`, align: 'right' },
          { title: 'requests', value: (r) => r.requests, align: 'right' },
          { title: 'req/s', value: (r) => Math.round(r.per_second), align: 'right' },
          { title: 'p50', value: (r) => ms(r.p50), align: 'right' },
          { title: 'p90', value: (r) => ms(r.p90), align: 'right' },
          { title: 'p99', value: (r) => ms(r.p99), align: 'right' },
          { title: 'max', value: (r) => ms(r.max), align: 'right' },
          { title: 'errors', value: (r) => r.errors, align: 'right' },
          { title: 'server CPU/req', value: (r) => (r.server_cpu_ms_per_request === null ? null : ms(r.server_cpu_ms_per_request)), align: 'right' },
        ]),
        ...Object.entries(json.goal.met).map(([k, met]) => `goal p99 < 25 ms, ${k.replace('_', ' ')} pages: ${met ? 'met' : 'NOT met'}`),
        '(same: every client pages with limit=100, repeats come from the page cache; varied: a random limit per page, mostly built fresh)',
        `(flat out: each client asks again the moment it is answered, so p50 ≈ ${clients} clients ÷ throughput; paced: ${rate} req/s per client, latency from when each request was due)`,
        '',
        `SSE fan-out: ${sse.subscribers} subscribers × ${sse.events} events (published in ${sse.publish_seconds.toFixed(1)} s)`,
        `delivery latency p50 ${sse.p50} ms, p99 ${sse.p99} ms, max ${sse.max} ms (ms resolution); every event to every subscriber once, in order: ${sse.complete ? 'yes' : `NO (${sse.missing} missing, ${sse.duplicates_or_out_of_order} duplicate or out of order)`}`,
      ].join('\n');
      return { json, table };
    } finally {
      http.close();
      await stopServe(child);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
