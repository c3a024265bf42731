// How a supervised run shows in its terminal: the one-line banners when
// FlowForge steps in (text from the backend's records), and the exit code the
// task ends with (the same code `flowforge run` exits with: shared/runEnd.ts).
import type { AuditEvent, Decision, Incident, Run } from '../../server/shared/protocol/domain';
import { exitCodeFor } from '../../server/shared/runEnd';

const RED = '\x1b[1;31m';
const YELLOW = '\x1b[1;33m';
const DIM = '\x1b[2m';
const RESET = '\x1b[0m';

export const paint = {
  red: (s: string) => `${RED}${s}${RESET}`,
  yellow: (s: string) => `${YELLOW}${s}${RESET}`,
  dim: (s: string) => `${DIM}${s}${RESET}`,
};

/** The code a task ends with: 137 killed by FlowForge, 130 stopped by a person, 127 never started, else the job's own. */
export const exitCodeOf = (run: Run): number => exitCodeFor({ outcome: run.end_reason, exit_code: run.exit_code, signal: run.signal });

/** The incident's title and the reason, without saying the title twice (reasons often start with it). */
export const headline = (incident: Incident | undefined, reason: string) =>
  incident && incident.title && !reason.startsWith(incident.title) ? `${incident.title} — ${reason}` : reason;

/** The banner for an audit row of this run, or null when it is not FlowForge (or someone else) stepping in. */
export function auditBanner(audit: AuditEvent, incident: Incident | undefined, ownActor: string): string | null {
  switch (audit.action) {
    case 'auto_kill':
      return paint.red(`■ FlowForge stopped this job: ${headline(incident, audit.reason)}`);
    case 'auto_restart':
      return paint.yellow(`↻ FlowForge is restarting this job: ${headline(incident, audit.reason)}`);
    case 'stop':
    case 'restart':
      // Our own stop (the terminal was closed, Ctrl+C) needs no banner.
      if (audit.actor === ownActor && audit.reason.startsWith('terminal:')) return null;
      return paint.yellow(`■ ${audit.action === 'stop' ? 'Stopped' : 'Restarted'} by ${audit.actor}: ${audit.reason}`);
    default:
      return null;
  }
}

/** The banner when an incident opens that FlowForge only alerts about, or that spent the restart budget. */
export function incidentBanner(incident: Incident): string | null {
  if (incident.kind === 'restart_budget_spent') return paint.red(`■ FlowForge stopped this job: ${headline(incident, incident.reason)}`);
  if (incident.status === 'open' && incident.action === 'alert') return paint.yellow(`▲ FlowForge alert: ${headline(incident, incident.reason)}`);
  if (incident.status === 'open' && incident.action === 'nudge') return paint.yellow(`▲ FlowForge nudged the agent: ${headline(incident, incident.reason)}`);
  if (incident.status === 'open' && incident.action === 'block') return paint.yellow(`▲ FlowForge refused the agent's repeating call: ${headline(incident, incident.reason)}`);
  return null;
}

/**
 * The banner when the policy wanted to stop or restart the job and something held it back
 * (protection off for the folder, shadow or canary rollout); the reason says which.
 */
export function heldBanner(decision: Decision): string | null {
  const wanted = decision.intended === 'kill' ? 'stopped' : decision.intended === 'restart' ? 'restarted' : null;
  if (!wanted || decision.action === decision.intended) return null;
  return paint.yellow(`▲ FlowForge would have ${wanted} this job (not enforced): ${decision.reason}`);
}

/** The last word on a run that never started: why (the FAILED lifecycle event's reason is the start error). */
export function endBanner(run: Run, failedReason: string | null): string | null {
  return run.end_reason === 'failed_to_start' ? paint.red(`■ FlowForge could not start this job: ${failedReason ?? 'unknown error'}`) : null;
}
