// Records shaped like the backend's, for the panel tests: a runaway incident
// with its run, samples around the decision, rules, signals and evidence, and
// as many further incidents as a test wants.
import type {
  AuditEvent,
  Decision,
  Incident,
  LifecycleEvent,
  Run,
  Sample,
  TimelineEvent,
} from '../../../server/shared/protocol/domain';

/** A fixed "now" so screenshots and assertions do not depend on the clock. */
export const T0 = Date.UTC(2026, 10, 21, 9, 30, 0);
const S = 1000;

export const WORKSPACES = [
  { id: 'ws-app', name: 'app' },
  { id: 'ws-ml', name: 'ml-training' },
];

/** Untrusted text as a job could print it: must show as text, never become markup. */
export const HOSTILE_LINE = '<img src=x onerror="window.__ffPwned=1"><script>window.__ffPwned=2</script> token=[REDACTED]';
export const REPEATED_TEMPLATE = 'retrying request <n>/<n>: connection refused (attempt <n>)';

export function makeRun(id: string, over: Partial<Run> = {}): Run {
  return {
    id,
    job_id: id,
    attempt: 1,
    name: `job-${id}`,
    command: `python agent.py --task ${id}`,
    argv: ['python', 'agent.py', '--task', id],
    shell: false,
    cwd: '/home/dev/app',
    workspace_id: 'ws-app',
    source: 'task',
    profile: 'standard',
    on_runaway: 'kill',
    restartable: false,
    pid: 4242,
    pgid: 4242,
    lifecycle: 'STOPPED',
    started_at: T0 - 300 * S,
    ended_at: T0 - 60 * S,
    exit_code: null,
    signal: 'SIGKILL',
    end_reason: 'killed',
    peak_cpu_percent: 99.6,
    peak_rss_mb: 180,
    intervened: true,
    owner: null,
    ...over,
  };
}

export function makeIncident(n: number, over: Partial<Incident> = {}): Incident {
  const id = `inc-${String(n).padStart(5, '0')}`;
  const kinds = ['cpu_loop', 'output_loop', 'memory_limit', 'silent_spin'];
  return {
    id,
    run_id: `run-${n}`,
    job_id: `run-${n}`,
    workspace_id: n % 3 === 0 ? 'ws-ml' : 'ws-app',
    name: `job-${n}`,
    kind: kinds[n % kinds.length] as string,
    title: `Job ${n} ran away`,
    reason: `CPU stayed above 90 % for 30 s while the output repeated one line (job ${n}).`,
    status: n % 2 === 0 ? 'open' : 'closed',
    opened_at: T0 - n * 60 * S,
    updated_at: T0 - n * 60 * S + 5 * S,
    closed_at: n % 2 === 0 ? null : T0 - n * 60 * S + 10 * S,
    action: 'kill',
    intended: 'kill',
    enforced: true,
    actor: 'flowforge',
    rules: ['cpu_loop'],
    confidence: 0.9,
    peak_cpu_percent: 90 + (n % 10),
    peak_rss_mb: 100 + n,
    decision_count: 1,
    first_decision_id: `dec-${n}`,
    last_decision_id: `dec-${n}`,
    templates: [REPEATED_TEMPLATE],
    evidence: ['retrying request 3/5: connection refused (attempt 17)'],
    ...over,
  };
}

export function makeDecision(incident: Incident, t: number, over: Partial<Decision> = {}): Decision {
  return {
    id: incident.last_decision_id ?? `dec-${incident.id}`,
    run_id: incident.run_id,
    job_id: incident.job_id,
    t,
    action: 'kill',
    intended: 'kill',
    rollout: 'enforce',
    canary_percent: null,
    canary_bucket: null,
    enforced: true,
    confidence: 0.92,
    rules: [
      {
        id: 'cpu_loop',
        title: 'CPU spin with repeated output',
        fired: true,
        confidence: 0.92,
        detail: 'CPU 98.4 % ≥ 90 % for 30 s, repetition 0.94 ≥ 0.8, novelty 0 ≤ 0.05',
      },
      {
        id: 'memory_limit',
        title: 'Memory over its limit',
        fired: false,
        confidence: 0.1,
        detail: 'RSS 180 MB < 2048 MB',
      },
    ],
    signals: [
      { name: 'cpu', value: 98.4, threshold: 90, op: '>=', unit: '%', breached: true },
      { name: 'repetition', value: 0.94, threshold: 0.8, op: '>=', unit: 'ratio', breached: true },
      { name: 'novelty', value: 0, threshold: 0.05, op: '<=', unit: 'ratio', breached: true },
      { name: 'memory', value: 180, threshold: 2048, op: '>=', unit: 'MB', breached: false },
      { name: 'rate', value: 850, threshold: null, op: '>=', unit: 'lines/s', breached: false },
    ],
    templates: [REPEATED_TEMPLATE],
    evidence: ['retrying request 3/5: connection refused (attempt 17)', HOSTILE_LINE],
    reason: 'CPU stayed at 98 % for 30 s while one line repeated with no progress: a retry storm.',
    profile: 'standard',
    incident_id: incident.id,
    ...over,
  };
}

/** One sample per second: calm, then the spin that led to the decision, then (if any) after it. */
export function makeSamples(runId: string, from: number, to: number, decisionT: number): Sample[] {
  const out: Sample[] = [];
  for (let t = from; t <= to; t += S) {
    const spinning = t >= decisionT - 45 * S;
    out.push({
      run_id: runId,
      t,
      cpu_percent: t === from ? null : spinning ? 97 + ((t / S) % 3) : 12 + ((t / S) % 5),
      rss_mb: 120 + (t - from) / (S * 10),
      procs: 2,
      lines: spinning ? 850 : 4,
      bytes: spinning ? 60000 : 300,
      repetition: spinning ? 0.94 : 0.1,
      novelty: spinning ? 0 : 0.6,
      rate: spinning ? 850 : 4,
      silence_s: 0,
    });
  }
  return out;
}

export function timelineEvent(seq: number, kind: TimelineEvent['kind'], over: Partial<TimelineEvent> = {}): TimelineEvent {
  return {
    seq,
    t: T0 - (1000 - seq) * S,
    kind,
    ref_id: `${kind}-${seq}`,
    run_id: null,
    incident_id: null,
    workspace_id: 'ws-app',
    request_id: null,
    summary: `${kind} event ${seq}`,
    data: {},
    ...over,
  };
}

/** The journal row a record change appends (its `data` is the record), as GET /v1/stream sends it. */
export function journalRow(
  seq: number,
  kind: TimelineEvent['kind'],
  record: { id: string; run_id?: string | null; incident_id?: string | null; workspace_id?: string | null },
  summary: string,
  t: number,
): TimelineEvent {
  return timelineEvent(seq, kind, {
    t,
    ref_id: record.id,
    run_id: kind === 'run' ? record.id : (record.run_id ?? null),
    incident_id: kind === 'incident' ? record.id : (record.incident_id ?? null),
    workspace_id: record.workspace_id ?? null,
    summary,
    data: { ...record },
  });
}

export function auditEvent(seq: number, run: Run, actor: string, action: string, reason: string, t: number): { audit: AuditEvent; row: TimelineEvent } {
  const audit: AuditEvent = {
    id: `aud-${seq}`,
    t,
    actor,
    action,
    reason,
    request_id: `req-${seq}`,
    run_id: run.id,
    workspace_id: run.workspace_id,
    details: {},
  };
  const row = { ...journalRow(seq, 'audit', audit, `${actor} ${action} ${run.name}`, t), request_id: audit.request_id };
  return { audit, row };
}

export function lifecycleEvent(seq: number, run: Run, phase: Run['lifecycle'], previous: Run['lifecycle'], t: number): { event: LifecycleEvent; row: TimelineEvent } {
  const event: LifecycleEvent = {
    id: `lc-${seq}`,
    t,
    run_id: run.id,
    job_id: run.job_id,
    phase,
    previous,
    reason: 'stopped_by_user',
    request_id: null,
  };
  const row = { ...journalRow(seq, 'lifecycle', event, `${run.name} ${previous} → ${phase}`, t), workspace_id: run.workspace_id };
  return { event, row };
}
