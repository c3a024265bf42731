// What the FlowForge status-bar item shows, computed from the backend's
// records (free of 'vscode', so it is unit-tested): idle, the number of
// supervised jobs, or a runaway naming the job from the moment an incident
// opens until the person looks at it (or a while has passed).
import type { AuditEvent, Incident, Run } from '../../server/shared/protocol/domain';

export type BackendState = 'starting' | 'ready' | 'restarting';

export interface StatusView {
  text: string;
  /** Only the two backgrounds VS Code allows for status items. */
  background: 'error' | 'warning' | null;
  /** The latest incident, for the tooltip. */
  incident: Incident | null;
  /** Read by screen readers. */
  label: string;
}

/** How long the runaway state stays when nobody opens the incident. */
export const ALARM_MS = 10 * 60_000;

const ACTING = new Set(['kill', 'restart']);

export class StatusModel {
  private readonly active = new Map<string, string>();
  private latest: Incident | null = null;
  private alarm: { incidentId: string; runId: string; name: string; severity: 'error' | 'warning'; until: number } | null = null;
  backend: BackendState = 'starting';

  /** The state read over plain requests (at start and after the stream reconnects). */
  seed(active: { run_id: string; name: string }[], latest: Incident | null): void {
    this.active.clear();
    for (const r of active) this.active.set(r.run_id, r.name);
    if (latest && (!this.latest || latest.updated_at >= this.latest.updated_at)) this.latest = latest;
  }

  onRun(run: Run): void {
    if (run.ended_at === null) this.active.set(run.id, run.name);
    else this.active.delete(run.id);
  }

  onIncident(incident: Incident, now: number): void {
    this.latest = incident;
    const opening = incident.status === 'open' || incident.kind === 'restart_budget_spent';
    if (!opening || (incident.action === 'continue' && incident.intended === 'continue')) return;
    const severity = ACTING.has(incident.action) || ACTING.has(incident.intended) ? 'error' : 'warning';
    this.alarm = { incidentId: incident.id, runId: incident.run_id, name: incident.name, severity, until: now + ALARM_MS };
  }

  /** FlowForge acted on the run the alarm is about: it is an error now, whatever the incident said at first. */
  onAudit(audit: AuditEvent): void {
    if (this.alarm && audit.run_id === this.alarm.runId && (audit.action === 'auto_kill' || audit.action === 'auto_restart')) this.alarm.severity = 'error';
  }

  /** The person opened the incidents: the alarm has done its job. */
  acknowledge(): void {
    this.alarm = null;
  }

  /** When the view changes by itself (the alarm expires), or null. */
  nextChangeAt(): number | null {
    return this.alarm?.until ?? null;
  }

  view(now: number): StatusView {
    if (this.alarm && now >= this.alarm.until) this.alarm = null;
    const incident = this.latest;
    if (this.alarm) {
      const text = `$(alert) FlowForge: runaway — ${this.alarm.name}`;
      return { text, background: this.alarm.severity, incident, label: `FlowForge: runaway in ${this.alarm.name}. Click to see the incident.` };
    }
    if (this.backend === 'restarting') {
      return { text: '$(sync~spin) FlowForge: restarting', background: 'warning', incident, label: 'FlowForge: the backend is restarting' };
    }
    const n = this.active.size;
    if (n > 0) {
      const jobs = `${n} job${n === 1 ? '' : 's'}`;
      return { text: `$(pulse) FlowForge: ${jobs}`, background: null, incident, label: `FlowForge: supervising ${jobs}` };
    }
    return { text: '$(shield) FlowForge', background: null, incident, label: 'FlowForge: no supervised jobs' };
  }
}
