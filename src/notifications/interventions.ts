// Which backend records deserve a notification, and what it says (free of
// 'vscode', unit-tested): FlowForge killed or restarted a job, spent a job's
// restart budget, or only alerted (protection off, onRunaway alert, shadow
// mode). At most one notification per job and severity in a while, so a
// flapping job cannot flood the window.
import type { AuditEvent, Incident, Run } from '../../server/shared/protocol/domain';
import { headline } from '../tasks/runOutcome';

export interface Intervention {
  severity: 'error' | 'warning';
  message: string;
  runId: string;
  jobId: string;
  incidentId: string | null;
  /** Offer "Restart": the job was started by FlowForge (a terminal command cannot be restarted from here). */
  canRestart: boolean;
}

export const QUIET_MS = 30_000;
const REMEMBERED = 500;

export class InterventionTracker {
  private readonly runs = new Map<string, Run>();
  private readonly incidents = new Map<string, Incident>();
  private readonly lastShown = new Map<string, number>();

  onRun(run: Run): void {
    remember(this.runs, run.id, run);
  }

  onIncident(incident: Incident, now: number): Intervention | null {
    remember(this.incidents, incident.id, incident);
    if (incident.kind === 'restart_budget_spent') {
      return this.shown(now, incident.run_id, incident.id, 'error', `FlowForge stopped "${incident.name}": ${headline(incident, incident.reason)}`);
    }
    if (incident.status !== 'open') return null;
    if (incident.action === 'alert') {
      return this.shown(now, incident.run_id, incident.id, 'warning', `FlowForge: "${incident.name}" looks like a runaway (${incident.title}): ${incident.reason}`);
    }
    if (incident.action === 'continue' && incident.intended !== 'continue') {
      const verb = incident.intended === 'restart' ? 'restarted' : 'stopped';
      return this.shown(now, incident.run_id, incident.id, 'warning', `FlowForge would have ${verb} "${incident.name}" (not enforced): ${headline(incident, incident.reason)}`);
    }
    return null; // kill and restart are told when they happen (the audit row)
  }

  onAudit(audit: AuditEvent, now: number): Intervention | null {
    if (audit.actor !== 'flowforge' || !audit.run_id) return null;
    const verb = audit.action === 'auto_kill' ? 'stopped' : audit.action === 'auto_restart' ? 'restarted' : null;
    if (!verb) return null;
    const incidentId = typeof audit.details.incident_id === 'string' ? audit.details.incident_id : null;
    const incident = incidentId ? this.incidents.get(incidentId) : undefined;
    const name = incident?.name ?? this.runs.get(audit.run_id)?.name ?? audit.run_id;
    return this.shown(now, audit.run_id, incidentId, 'error', `FlowForge ${verb} "${name}": ${headline(incident, audit.reason)}`);
  }

  private shown(now: number, runId: string, incidentId: string | null, severity: Intervention['severity'], message: string): Intervention | null {
    const run = this.runs.get(runId);
    const jobId = run?.job_id ?? this.incidentJob(incidentId) ?? runId;
    const key = `${jobId}:${severity}`;
    const last = this.lastShown.get(key);
    if (last !== undefined && now - last < QUIET_MS) return null;
    remember(this.lastShown, key, now);
    return { severity, message, runId, jobId, incidentId, canRestart: run ? run.source !== 'watch' : true };
  }

  private incidentJob(id: string | null): string | undefined {
    return id ? this.incidents.get(id)?.job_id : undefined;
  }
}

function remember<K, V>(map: Map<K, V>, key: K, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > REMEMBERED) map.delete(map.keys().next().value as K);
}
