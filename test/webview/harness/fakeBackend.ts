// An in-memory PanelBackend: pages with opaque cursors like the /v1 API,
// Stop/Restart that change the run and journal an audit row with the actor,
// and live events the test emits. It records every call.
import type { Decision, Incident, Run, Sample, TimelineEvent } from '../../../server/shared/protocol/domain';
import type { IncidentDetail } from '../../../server/shared/protocol/panel';
import { NOT_A_RUNAWAY_AUDIT_ACTION } from '../../../server/shared/protocol/choices';
import { LEARNING_RULES } from '../../../server/shared/protocol/panelDefaults';
import type {
  BackendEvent,
  IncidentQuery,
  PanelBackend,
  TimelineQuery,
} from '../../../src/panel/panelBackend';
import {
  auditEvent,
  lifecycleEvent,
  makeDecision,
  makeIncident,
  makeRun,
  makeSamples,
  journalRow,
  T0,
  WORKSPACES,
} from './fixtures';

interface Page<T> {
  items: T[];
  next_cursor: string | null;
  has_more: boolean;
}

function paginate<T>(all: T[], limit: number, cursor: string | null | undefined): Page<T> {
  const offset = cursor ? Number(/^c:(\d+)$/.exec(cursor)?.[1] ?? NaN) : 0;
  if (!Number.isInteger(offset)) throw new Error(`Invalid cursor "${cursor}"`);
  const items = all.slice(offset, offset + limit);
  const more = offset + limit < all.length;
  return { items, next_cursor: more ? `c:${offset + limit}` : null, has_more: more };
}

const newestFirst = (a: Incident, b: Incident) => b.opened_at - a.opened_at || (a.id < b.id ? 1 : -1);

export class FakeBackend implements PanelBackend {
  readonly calls: { method: string; args: unknown[] }[] = [];
  readonly incidents: Incident[] = [];
  readonly runs = new Map<string, Run>();
  readonly samples = new Map<string, Sample[]>();
  readonly decisions = new Map<string, Decision[]>();
  readonly journal: TimelineEvent[] = [];
  workspaceList = WORKSPACES;
  /** While set, every read fails with this message (the backend is not reachable). */
  down: string | null = null;
  /** Makes the next stop/restart fail with this message (e.g. a 429 from the API). */
  failNextAction: string | null = null;
  private readonly listeners = new Set<(e: BackendEvent) => void>();
  private readonly reconnectListeners = new Set<() => void>();
  private seq = 5000;

  /** The runaway every drill-down test looks at (`inc-00001`), plus `extra` more incidents. */
  static scenario(opts: { extra?: number; running?: boolean } = {}): FakeBackend {
    const b = new FakeBackend();
    const decisionT = T0 - 120_000;
    const incident = makeIncident(1, {
      status: 'open',
      closed_at: null,
      title: 'Retry storm in agent.py',
      kind: 'cpu_loop',
      opened_at: decisionT,
      updated_at: decisionT,
      action: opts.running ? 'alert' : 'kill',
      intended: opts.running ? 'alert' : 'kill',
    });
    const run = makeRun(incident.run_id, {
      name: 'agent (retry loop)',
      ...(opts.running
        ? { lifecycle: 'RUNNING', ended_at: null, signal: null, end_reason: null, intervened: false, on_runaway: 'alert' }
        : {}),
    });
    const decision = makeDecision(incident, decisionT, opts.running ? { action: 'alert', intended: 'alert' } : {});
    const to = opts.running ? T0 : (run.ended_at as number);
    b.add(incident, run, [decision], makeSamples(run.id, run.started_at, to, decisionT));
    b.journal.push(
      journalRow(b.nextSeq(), 'run', run, `${run.name} started`, run.started_at),
      journalRow(b.nextSeq(), 'decision', decision, `${decision.action}: ${decision.reason}`, decisionT),
      journalRow(b.nextSeq(), 'incident', incident, incident.title, decisionT),
    );
    for (const row of b.journal) row.workspace_id = run.workspace_id; // the store takes it from the run
    for (let n = 2; n < 2 + (opts.extra ?? 0); n++) b.add(makeIncident(n));
    return b;
  }

  add(incident: Incident, run?: Run, decisions?: Decision[], samples?: Sample[]): void {
    this.incidents.push(incident);
    if (run) this.runs.set(run.id, run);
    if (decisions) this.decisions.set(incident.id, decisions);
    if (samples) this.samples.set(incident.run_id, samples);
  }

  nextSeq(): number {
    this.seq += 1;
    return this.seq;
  }

  /** An incident opened or changed: journal it and stream the row, as the backend does. */
  publishIncident(incident: Incident): void {
    const row = journalRow(this.nextSeq(), 'incident', incident, incident.title, incident.updated_at);
    this.journal.push(row);
    this.emit({ kind: 'incident', data: row });
  }

  emit(e: BackendEvent): void {
    for (const l of this.listeners) l(e);
  }

  /** The live stream came back after a drop. */
  reconnect(): void {
    for (const l of this.reconnectListeners) l();
  }

  async listIncidents(q: IncidentQuery) {
    this.calls.push({ method: 'listIncidents', args: [q] });
    this.failIfDown();
    const all = this.incidents
      .filter(
        (i) =>
          (!q.workspace_id || i.workspace_id === q.workspace_id) &&
          (!q.status || i.status === q.status) &&
          (!q.kind || i.kind === q.kind),
      )
      .sort(newestFirst);
    return paginate(all, q.limit, q.cursor);
  }

  async incidentDetail(id: string): Promise<IncidentDetail> {
    this.calls.push({ method: 'incidentDetail', args: [id] });
    const incident = this.incidents.find((i) => i.id === id);
    if (!incident) throw new Error(`No incident ${id}`);
    const run = this.runs.get(incident.run_id) ?? makeRun(incident.run_id, { name: incident.name });
    const decisions = this.decisions.get(id) ?? [makeDecision(incident, incident.opened_at)];
    const samples = this.samples.get(incident.run_id) ?? makeSamples(run.id, incident.opened_at - 90_000, incident.opened_at + 20_000, incident.opened_at);
    const chain = this.journal.filter((e) => e.incident_id === id || e.run_id === incident.run_id).sort((a, b) => a.seq - b.seq);
    return structuredClone({ incident, run, samples, decisions, chain });
  }

  async timeline(q: TimelineQuery) {
    this.calls.push({ method: 'timeline', args: [q] });
    this.failIfDown();
    const all = this.journal
      .filter((e) => (!q.kinds?.length || q.kinds.includes(e.kind)) && (!q.workspace_id || e.workspace_id === q.workspace_id))
      .sort((a, b) => b.seq - a.seq);
    return paginate(all, q.limit, q.cursor);
  }

  async stopRun(runId: string, reason: string): Promise<void> {
    this.calls.push({ method: 'stopRun', args: [runId, reason] });
    this.act(runId, 'stop', reason, { lifecycle: 'STOPPED', end_reason: 'stopped_by_user', signal: 'SIGTERM' });
  }

  async restartRun(runId: string, reason: string): Promise<void> {
    this.calls.push({ method: 'restartRun', args: [runId, reason] });
    this.act(runId, 'restart', reason, { lifecycle: 'STOPPED', end_reason: 'restarted', signal: 'SIGTERM' });
  }

  /** A small stand-in bundle (the real one is tested against the API); unknown incidents fail like the API's 404. */
  async exportEvidence(incidentId: string) {
    this.calls.push({ method: 'exportEvidence', args: [incidentId] });
    this.failIfDown();
    if (!this.incidents.some((i) => i.id === incidentId)) throw new Error(`incident ${incidentId} was not found (retention may have removed it)`);
    const file = (name: string, content: string) => ({ name, content, sha256: '0'.repeat(64), bytes: content.length });
    return {
      incident_id: incidentId,
      algorithm: 'ed25519' as const,
      key_id: 'c0ffee0123456789',
      files: [file('incident.json', JSON.stringify({ id: incidentId })), file('manifest.json', '{}'), file('signature.json', '{}')],
    };
  }

  /** As the API: only an incident whose loop FlowForge stopped taught a signature; the audit row names the incident. */
  async allowIncident(incidentId: string, reason: string): Promise<void> {
    this.calls.push({ method: 'allowIncident', args: [incidentId, reason] });
    if (this.failNextAction) {
      const msg = this.failNextAction;
      this.failNextAction = null;
      throw new Error(msg);
    }
    const incident = this.incidents.find((i) => i.id === incidentId);
    if (!incident) throw new Error(`no incident with id '${incidentId}'`);
    if (!incident.rules.some((r) => LEARNING_RULES.includes(r)) || !incident.enforced) {
      throw new Error(`incident ${incidentId} (${incident.title}) taught no signature: only a loop that FlowForge stopped is learned`);
    }
    const run = this.runs.get(incident.run_id) ?? makeRun(incident.run_id, { name: incident.name });
    const { row } = auditEvent(this.nextSeq(), run, 'user', NOT_A_RUNAWAY_AUDIT_ACTION, reason, T0 + 6_000);
    const journaled = { ...row, incident_id: incidentId };
    this.journal.push(journaled);
    this.emit({ kind: 'audit', data: journaled });
  }

  async workspaces() {
    this.calls.push({ method: 'workspaces', args: [] });
    this.failIfDown();
    return this.workspaceList;
  }

  onEvent(listener: (e: BackendEvent) => void) {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  onReconnect(listener: () => void) {
    this.reconnectListeners.add(listener);
    return { dispose: () => this.reconnectListeners.delete(listener) };
  }

  callsTo(method: string): unknown[][] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }

  private failIfDown(): void {
    if (this.down) throw new Error(this.down);
  }

  /** What the API does on kill/restart: end the run, journal the audit row, the lifecycle change and the run, stream them. */
  private act(runId: string, action: string, reason: string, end: Partial<Run>): void {
    if (this.failNextAction) {
      const msg = this.failNextAction;
      this.failNextAction = null;
      throw new Error(msg);
    }
    const run = this.runs.get(runId);
    if (!run) throw new Error(`No run ${runId}`);
    if (run.lifecycle !== 'RUNNING' && run.lifecycle !== 'STARTING') throw new Error(`Run ${runId} is not running (${run.lifecycle})`);
    const t = T0 + 5_000;
    const previous = run.lifecycle;
    Object.assign(run, { ended_at: t, exit_code: null, ...end });
    const incidentId = this.incidents.find((i) => i.run_id === runId)?.id ?? null;
    const { row: auditRow } = auditEvent(this.nextSeq(), run, 'user', action, reason, t);
    const { row: lifecycleRow } = lifecycleEvent(this.nextSeq(), run, 'STOPPED', previous, t);
    const runRow = journalRow(this.nextSeq(), 'run', run, `${run.name} ${end.end_reason}`, t);
    for (const row of [auditRow, lifecycleRow, runRow]) {
      const journaled = { ...row, incident_id: row.incident_id ?? incidentId };
      this.journal.push(journaled);
      this.emit({ kind: journaled.kind, data: journaled });
    }
  }
}
