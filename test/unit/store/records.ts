// Record factories and temp folders for the store tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditEvent, Decision, Incident, LifecycleEvent, Run, Sample } from '../../../server/shared/protocol/domain';

let counter = 0;
const nextId = (prefix: string) => `${prefix}_${(++counter).toString().padStart(6, '0')}`;

export function makeRun(over: Partial<Run> = {}): Run {
  const id = over.id ?? nextId('run');
  return {
    id,
    job_id: id,
    attempt: 1,
    name: 'build',
    command: 'npm run build',
    argv: ['npm', 'run', 'build'],
    shell: false,
    cwd: '/home/dev/project',
    workspace_id: null,
    source: 'cli',
    profile: 'standard',
    on_runaway: 'kill',
    restartable: false,
    pid: 4242,
    pgid: 4242,
    lifecycle: 'RUNNING',
    started_at: 1_700_000_000_000,
    ended_at: null,
    exit_code: null,
    signal: null,
    end_reason: null,
    peak_cpu_percent: 0,
    peak_rss_mb: 0,
    intervened: false,
    owner: null,
    ...over,
  };
}

export function makeDecision(run: Run, over: Partial<Decision> = {}): Decision {
  return {
    id: nextId('dec'),
    run_id: run.id,
    job_id: run.job_id,
    t: run.started_at + 30_000,
    action: 'kill',
    intended: 'kill',
    rollout: 'enforce',
    canary_percent: null,
    canary_bucket: null,
    enforced: true,
    confidence: 0.92,
    rules: [{ id: 'cpu_loop', title: 'CPU loop', fired: true, confidence: 0.92, detail: 'CPU 198% for 30s with repetition 0.95' }],
    signals: [{ name: 'cpu', value: 198, threshold: 90, op: '>=', unit: '%', breached: true }],
    templates: ['retrying request <n>'],
    evidence: ['retrying request 17', 'retrying request 18'],
    reason: 'CPU pinned with a repeating retry loop and no progress',
    profile: 'standard',
    incident_id: null,
    ...over,
  };
}

export function makeIncident(run: Run, over: Partial<Incident> = {}): Incident {
  return {
    id: nextId('inc'),
    run_id: run.id,
    job_id: run.job_id,
    workspace_id: run.workspace_id,
    name: run.name,
    kind: 'cpu_loop',
    title: 'Runaway CPU loop',
    reason: 'CPU pinned with a repeating retry loop',
    status: 'open',
    opened_at: run.started_at + 30_000,
    updated_at: run.started_at + 30_000,
    closed_at: null,
    action: 'kill',
    intended: 'kill',
    enforced: true,
    actor: 'flowforge',
    rules: ['cpu_loop'],
    confidence: 0.92,
    peak_cpu_percent: 198,
    peak_rss_mb: 120,
    decision_count: 1,
    first_decision_id: null,
    last_decision_id: null,
    templates: ['retrying request <n>'],
    evidence: ['retrying request 17'],
    ...over,
  };
}

export function makeLifecycle(run: Run, over: Partial<LifecycleEvent> = {}): LifecycleEvent {
  return {
    id: nextId('lc'),
    t: run.started_at,
    run_id: run.id,
    job_id: run.job_id,
    phase: 'RUNNING',
    previous: 'STARTING',
    reason: 'spawned',
    request_id: null,
    ...over,
  };
}

export function makeAudit(over: Partial<AuditEvent> = {}): AuditEvent {
  return {
    id: nextId('aud'),
    t: 1_700_000_060_000,
    actor: 'api:ci',
    action: 'process.kill',
    reason: 'stuck job',
    request_id: null,
    run_id: null,
    workspace_id: null,
    details: {},
    ...over,
  };
}

export function makeSample(runId: string, t: number, over: Partial<Sample> = {}): Sample {
  return {
    run_id: runId,
    t,
    cpu_percent: 50,
    rss_mb: 100,
    procs: 2,
    lines: 3,
    bytes: 120,
    repetition: 0.1,
    novelty: 0.5,
    rate: 3,
    silence_s: 0,
    ...over,
  };
}

/** A fresh temp folder, removed by the returned cleanup. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'ff-store-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A fresh temp folder and a store path in it for every test of the enclosing describe block. */
export function tempStorePath(): { readonly dir: string; readonly path: string } {
  let current: { dir: string; cleanup: () => void } | null = null;
  beforeEach(() => (current = tempDir()));
  afterEach(() => current?.cleanup());
  return {
    get dir() {
      return current!.dir;
    },
    get path() {
      return join(current!.dir, 'x.db');
    },
  };
}

/** Polls until `check` holds (real time), for effects of async file writes. */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
