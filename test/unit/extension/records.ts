// Records for the extension's unit tests: a run and an incident with sensible defaults.
import type { Decision, Incident, Run } from '../../../server/shared/protocol/domain';

export function run(over: Partial<Run> = {}): Run {
  return {
    id: 'run_1', job_id: 'run_1', attempt: 1, name: 'train', command: 'python3 train.py', argv: [], shell: false, cwd: '/w',
    workspace_id: null, source: 'api', profile: 'standard', on_runaway: 'kill', restartable: false, pid: 10, pgid: 10,
    lifecycle: 'RUNNING', started_at: 1000, ended_at: null, exit_code: null, signal: null, end_reason: null,
    peak_cpu_percent: 0, peak_rss_mb: 0, intervened: false, owner: 'vscode', ...over,
  };
}

export function incident(over: Partial<Incident> = {}): Incident {
  return {
    id: 'inc_1', run_id: 'run_1', job_id: 'run_1', workspace_id: null, name: 'train', kind: 'cpu_loop', title: 'CPU loop',
    reason: 'same line at 100% CPU', status: 'open', opened_at: 5000, updated_at: 5000, closed_at: null, action: 'kill',
    intended: 'kill', enforced: true, actor: 'flowforge', rules: ['cpu_loop'], confidence: 0.9, peak_cpu_percent: 99,
    peak_rss_mb: 20, decision_count: 1, first_decision_id: null, last_decision_id: null, templates: [], evidence: [], ...over,
  };
}

/** The decision behind an incident. */
export function decisionOf(i: Incident): Decision {
  return {
    id: 'dec_1', run_id: i.run_id, job_id: i.job_id, t: i.opened_at, action: i.action, intended: i.intended, rollout: 'enforce',
    canary_percent: null, canary_bucket: null, enforced: i.enforced, confidence: i.confidence, rules: [], signals: [], templates: [],
    evidence: [], reason: i.reason, profile: 'standard', incident_id: i.id,
  };
}
