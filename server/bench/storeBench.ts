// `flowforge bench store`: what the evidence store costs on this machine.
// 1. Save time (export + temp file + fsync + rename) and file size of stores
//    holding 10k, 100k and 500k timeline events (retention off).
// 2. A simulated month of one job sampled every second, restarted daily, with
//    a realistic trickle of decisions and incidents, retention on (defaults):
//    the file size it settles at and the save time of that file.
// Time is simulated with a fake clock; saves during the month run every 6
// simulated hours instead of every few seconds, or the month would take hours.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Decision, Run } from '../shared/protocol/domain';
import { FakeClock } from '../util/clock';
import { renderTable } from '../util/table';
import { median } from './stats';
import { DEFAULT_RETENTION, openStore, type RetentionSettings, type SqlEvidenceStore, type StoreStats } from '../store';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const START = Date.UTC(2026, 0, 1);
/** Every limit off: the event-count stores must hold exactly what was written. */
const RETENTION_OFF = Object.fromEntries(Object.keys(DEFAULT_RETENTION).map((k) => [k, Infinity])) as Partial<RetentionSettings>;

interface Row {
  name: string;
  events: number;
  samples: number;
  fileMb: number;
  saveMs: number;
  fillS: number;
}

const yieldToIo = () => new Promise((r) => setImmediate(r));

function benchRun(n: number, t: number): Run {
  const id = `run_bench${String(n).padStart(8, '0')}`;
  return {
    id, job_id: 'run_bench00000000', attempt: n + 1, name: 'nightly-etl', command: 'python etl.py --source s3://bucket/raw --since 2026-01-01',
    argv: ['python', 'etl.py', '--source', 's3://bucket/raw', '--since', '2026-01-01'], shell: false, cwd: '/srv/etl',
    workspace_id: 'ws_bench', source: 'cli', profile: 'standard', on_runaway: 'restart', restartable: true, pid: 40_000 + n,
    pgid: 40_000 + n, lifecycle: 'RUNNING', started_at: t, ended_at: null, exit_code: null, signal: null, end_reason: null,
    peak_cpu_percent: 0, peak_rss_mb: 0, intervened: false, owner: null,
  };
}

/** A decision with the shape and size the policy writes: rules, every signal, templates and evidence lines. */
function benchDecision(run: Run, n: number, t: number, action: Decision['action']): Decision {
  const signal = (name: string, value: number, threshold: number, unit: string) => ({ name, value, threshold, op: '>=' as const, unit, breached: value >= threshold });
  return {
    id: `dec_bench${String(n).padStart(10, '0')}`, run_id: run.id, job_id: run.job_id, t, action, intended: action, rollout: 'enforce',
    canary_percent: null, canary_bucket: null, enforced: true, confidence: action === 'continue' ? 0.12 : 0.91,
    rules: [
      { id: 'cpu_loop', title: 'Sustained CPU with a repeating loop', fired: action !== 'continue', confidence: 0.91, detail: `tree CPU ${95 + (n % 5)}% for 45s (threshold 90% for 30s) while repetition stayed at 0.97` },
      { id: 'output_loop', title: 'Repeated output cycle without novelty', fired: false, confidence: 0.4, detail: 'cycle of 2 lines repeated 1800 times; novelty 0.0 templates/window' },
    ],
    signals: [
      signal('cpu', 97, 90, '%'), signal('repetition', 0.97, 0.8, 'ratio'), signal('novelty', 0, 0.1, 'templates/window'),
      signal('progress', 0, 0.5, 'ratio'), signal('rate', 1200, 500, 'lines/s'), signal('silence', 0, 120, 's'),
      signal('memory', 812, 4096, 'MB'), signal('tree', 3, 64, 'processes'),
    ],
    templates: ['retrying connection to <host>:<n> (attempt <n>)', 'ERROR upstream timeout after <n>ms'],
    evidence: [`retrying connection to db-replica-2:5432 (attempt ${n})`, 'ERROR upstream timeout after 30000ms', `retrying connection to db-replica-2:5432 (attempt ${n + 1})`],
    reason: action === 'continue' ? 'healthy: progress and novelty present' : 'CPU pinned at 97% for 45s with a 2-line retry loop and no progress',
    profile: 'standard', incident_id: null,
  };
}

/** Appends one event of a realistic mix: half decisions, a third lifecycle, some audit and incident notes. */
function addMixedEvent(store: SqlEvidenceStore, run: Run, i: number, t: number): void {
  const k = i % 20;
  if (k < 10) store.addDecision(benchDecision(run, i, t, k === 0 ? 'kill' : 'continue'));
  else if (k < 17) {
    store.addLifecycle({ id: `lc_bench${i}`, t, run_id: run.id, job_id: run.job_id, phase: 'RUNNING', previous: 'STARTING', reason: 'spawned pid 40321 in group 40321', request_id: null });
  } else if (k < 19) {
    store.addAudit({ id: `aud_bench${i}`, t, actor: 'api:ci', action: 'process.restart', reason: 'deploy rolled', request_id: `req_${i}`, run_id: run.id, workspace_id: null, details: { via: 'POST /v1/process/restart', budget_left: 2 } });
  } else {
    store.upsertIncident(incidentFor(run, i, t), { summary: 'incident updated: cpu_loop, kill' });
  }
}

function incidentFor(run: Run, i: number, t: number) {
  const d = benchDecision(run, i, t, 'kill');
  return {
    id: `inc_bench${i}`, run_id: run.id, job_id: run.job_id, workspace_id: run.workspace_id, name: run.name, kind: 'cpu_loop',
    title: 'Runaway: CPU loop', reason: d.reason, status: 'closed' as const, opened_at: t, updated_at: t, closed_at: t, action: 'kill' as const,
    intended: 'kill' as const, enforced: true, actor: 'flowforge', rules: ['cpu_loop'], confidence: 0.91, peak_cpu_percent: 99,
    peak_rss_mb: 812, decision_count: 3, first_decision_id: d.id, last_decision_id: d.id, templates: d.templates, evidence: d.evidence,
  };
}

/** Median save time over a few saves, each after one small change. */
async function measureSaves(store: SqlEvidenceStore, run: Run, clock: FakeClock, times = 5): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < times; i++) {
    store.addSample({ run_id: run.id, t: clock.now() + i, cpu_percent: 5, rss_mb: 100, procs: 1, lines: 1, bytes: 80, repetition: 0, novelty: 1, rate: 1, silence_s: 0 });
    await store.flush();
    ms.push(store.health().lastSaveMs ?? NaN);
  }
  return median(ms);
}

async function eventsRow(dir: string, events: number): Promise<Row> {
  const clock = new FakeClock(START);
  const path = join(dir, `events-${events}.db`);
  const { store } = await openStore({ path, clock, debounceMs: 365 * DAY, maxDelayMs: 365 * DAY, retention: RETENTION_OFF });
  const started = performance.now();
  let run = benchRun(0, clock.now());
  for (let i = 0; i < events; i++) {
    if (i % 500 === 0) store.upsertRun((run = benchRun(i / 500, clock.now())));
    clock.advance(1000);
    addMixedEvent(store, run, i, clock.now());
  }
  const fillS = (performance.now() - started) / 1000;
  const saveMs = await measureSaves(store, run, clock, events > 100_000 ? 3 : 5);
  const row = { name: `${events / 1000}k events`, events, samples: 0, fileMb: statSync(path).size / 1e6, saveMs, fillS };
  await store.close();
  rmSync(path, { force: true });
  return row;
}

/** One day of a supervised job: start, a sample every second, sampled decisions, one incident, a restart. */
async function simulateDay(store: SqlEvidenceStore, clock: FakeClock, day: number, counter: { n: number }): Promise<void> {
  const run = benchRun(day, clock.now());
  store.upsertRun(run, { summary: 'started' });
  store.addLifecycle({ id: `lc_d${day}a`, t: clock.now(), run_id: run.id, job_id: run.job_id, phase: 'RUNNING', previous: 'STARTING', reason: 'spawned', request_id: null });
  for (let s = 1; s <= 86_400; s++) {
    clock.advance(1000);
    const t = clock.now();
    const hot = s > 80_000 && s < 80_060;
    store.addSample({ run_id: run.id, t, cpu_percent: hot ? 99 : 20 + (s % 7), rss_mb: 300 + (s % 50), procs: 3, lines: hot ? 1200 : 4, bytes: hot ? 96_000 : 320, repetition: hot ? 0.97 : 0.1, novelty: hot ? 0 : 0.4, rate: hot ? 1200 : 4, silence_s: 0 });
    if (s % 300 === 0) store.addDecision(benchDecision(run, counter.n++, t, 'continue'));
    if (s === 80_059) {
      store.addDecision(benchDecision(run, counter.n++, t, 'restart'));
      store.upsertIncident(incidentFor(run, counter.n++, t), { summary: 'incident opened: cpu_loop, restart' });
      store.addAudit({ id: `aud_d${day}`, t, actor: 'flowforge', action: 'restart', reason: 'cpu_loop', request_id: null, run_id: run.id, workspace_id: null, details: {} });
    }
    if (s % 3600 === 0) await yieldToIo();
  }
  store.upsertRun({ ...run, lifecycle: 'STOPPED', ended_at: clock.now(), end_reason: 'restarted' }, { summary: 'restarted' });
}

async function monthRow(dir: string, days: number): Promise<{ row: Row; stats: StoreStats }> {
  const clock = new FakeClock(START);
  const path = join(dir, 'month.db');
  const { store } = await openStore({ path, clock, debounceMs: 6 * HOUR, maxDelayMs: 6 * HOUR });
  const started = performance.now();
  const counter = { n: 0 };
  for (let day = 0; day < days; day++) await simulateDay(store, clock, day, counter);
  store.maintain(true);
  const fillS = (performance.now() - started) / 1000;
  const saveMs = await measureSaves(store, benchRun(days - 1, clock.now()), clock);
  const stats = store.stats();
  const row = { name: `${days} days, 1 job @ 1 s, retention on`, events: stats.rows.journal, samples: stats.rows.samples, fileMb: statSync(path).size / 1e6, saveMs, fillS };
  await store.close();
  return { row, stats };
}

function parseArgs(args: string[]): { sizes: number[]; days: number } {
  const quick = args.includes('--quick');
  const value = (flag: string) => {
    const i = args.indexOf(flag);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const sizes = (value('--sizes') ?? (quick ? '10000' : '10000,100000,500000')).split(',').map(Number);
  const days = Number(value('--days') ?? (quick ? 2 : 30));
  if (sizes.some((n) => !Number.isInteger(n) || n <= 0) || !Number.isInteger(days) || days <= 0) {
    throw new Error('usage: flowforge bench store [--quick] [--sizes 10000,100000,500000] [--days 30]');
  }
  return { sizes, days };
}

export async function runStoreBench(args: string[]): Promise<{ json: unknown; table: string }> {
  const { sizes, days } = parseArgs(args);
  const dir = mkdtempSync(join(tmpdir(), 'flowforge-store-bench-'));
  try {
    const rows: Row[] = [];
    for (const n of sizes) rows.push(await eventsRow(dir, n));
    const month = await monthRow(dir, days);
    rows.push(month.row);
    const table = renderTable(rows, [
      { title: 'STORE', value: (r) => r.name },
      { title: 'EVENTS', value: (r) => r.events, align: 'right' },
      { title: 'SAMPLES', value: (r) => r.samples, align: 'right' },
      { title: 'FILE MB', value: (r) => r.fileMb.toFixed(1), align: 'right' },
      { title: 'SAVE MS', value: (r) => r.saveMs.toFixed(0), align: 'right' },
      { title: 'FILL S', value: (r) => r.fillS.toFixed(1), align: 'right' },
    ]);
    const verdict = `month: ${month.row.fileMb.toFixed(1)} MB (goal < 20 MB), save ${month.row.saveMs.toFixed(0)} ms (goal < 250 ms)`;
    const json = { rows, month: { ...month.row, rows: month.stats.rows, goals: { fileMb: 20, saveMs: 250 } } };
    return { json, table: `${table}\n\nSAVE MS = export + temp file + fsync + rename (median of 5; of 3 above 100k events).\n${verdict}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
