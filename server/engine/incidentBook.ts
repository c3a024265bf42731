// One job's incidents and decisions: an episode of runaway behaviour is one
// incident, opened on the policy's first complaint, updated while it lasts and
// closed when the signals settle or the run ends; every recorded verdict
// becomes a decision linked to it.
import type { SignalSnapshot } from '../detect/types';
import type { EffectiveSettings } from '../policy';
import type { Verdict } from '../policy/types';
import { severity } from '../shared/protocol/actions';
import type { Decision, Incident, Run } from '../shared/protocol/domain';
import type { Clock } from '../util/clock';
import { newId } from '../util/ids';
import type { Recorder } from './recorder';

export const firedRules = (v: Verdict): string[] => v.rules.filter((r) => r.fired).map((r) => r.id);

export class IncidentBook {
  private open: Incident | null = null;
  /** Every incident this job opened, oldest first. */
  readonly ids: string[] = [];

  constructor(
    private readonly job: { jobId: string; name: string; workspaceId: string | null; settings: EffectiveSettings },
    private readonly recorder: Recorder,
    private readonly clock: Clock,
  ) {}

  get current(): Incident | null {
    return this.open;
  }

  /** Follows the policy's episode bookkeeping: open, update or close the incident. */
  track(run: Run, verdict: Verdict, snap: SignalSnapshot): void {
    const ep = verdict.episode;
    if (!ep) return;
    if (ep.phase === 'close') return this.close(snap.t);
    if (!this.open || ep.phase === 'open') {
      this.openIncident(run, snap.t, {
        kind: ep.kind,
        title: ep.title,
        reason: verdict.reason,
        action: verdict.action,
        intended: verdict.intended,
        enforced: verdict.enforced,
        rules: firedRules(verdict),
        confidence: verdict.confidence,
        peak_cpu_percent: snap.cpu.peakPercent,
        peak_rss_mb: snap.memory.peakMb,
        templates: verdict.templates,
        evidence: verdict.evidence,
      });
      return;
    }
    const inc = this.open;
    inc.updated_at = snap.t;
    inc.reason = verdict.reason;
    inc.confidence = Math.max(inc.confidence, verdict.confidence);
    inc.peak_cpu_percent = Math.max(inc.peak_cpu_percent, snap.cpu.peakPercent);
    inc.peak_rss_mb = Math.max(inc.peak_rss_mb, snap.memory.peakMb);
    for (const r of firedRules(verdict)) if (!inc.rules.includes(r)) inc.rules.push(r);
    if (severity(verdict.intended) > severity(inc.intended)) {
      Object.assign(inc, { intended: verdict.intended, action: verdict.action, enforced: verdict.enforced, title: ep.title, kind: ep.kind });
    }
    if (verdict.templates.length) inc.templates = verdict.templates;
    if (verdict.evidence.length) inc.evidence = verdict.evidence;
    this.recorder.incident(inc);
  }

  /** The restart budget ran out: its own incident, since it changes what FlowForge does next. */
  budgetSpent(run: Run, reason: string, now: number, peaks: { cpu: number; rssMb: number }): void {
    this.close(now);
    this.openIncident(run, now, {
      kind: 'restart_budget_spent',
      title: 'Restart budget spent',
      reason,
      action: 'kill',
      intended: 'restart',
      enforced: true,
      rules: [],
      confidence: 1,
      peak_cpu_percent: peaks.cpu,
      peak_rss_mb: peaks.rssMb,
      templates: [],
      evidence: [],
    });
  }

  close(now: number): void {
    const inc = this.open;
    if (!inc) return;
    this.open = null;
    Object.assign(inc, { status: 'closed', closed_at: now, updated_at: now });
    this.recorder.incident(inc, { summary: `${inc.name}: incident closed (${inc.title})` });
  }

  /** Stores a verdict as a decision, linked to the open incident when it is part of the episode. */
  recordDecision(run: Run, verdict: Verdict): Decision {
    const now = this.clock.now();
    const { rollout, profile } = this.job.settings;
    const partOfEpisode = verdict.action !== 'continue' || verdict.intended !== 'continue';
    const decision: Decision = {
      id: newId('dec', now),
      run_id: run.id,
      job_id: this.job.jobId,
      t: now,
      action: verdict.action,
      intended: verdict.intended,
      rollout: rollout.mode,
      canary_percent: rollout.mode === 'canary' ? rollout.canaryPercent : null,
      canary_bucket: verdict.canaryBucket,
      enforced: verdict.enforced,
      confidence: verdict.confidence,
      rules: verdict.rules,
      signals: verdict.signals,
      templates: verdict.templates,
      evidence: verdict.evidence,
      reason: verdict.reason,
      profile,
      incident_id: partOfEpisode ? (this.open?.id ?? null) : null,
    };
    this.recorder.decision(decision);
    const inc = this.open;
    if (inc && decision.incident_id === inc.id) {
      inc.decision_count++;
      inc.first_decision_id ??= decision.id;
      inc.last_decision_id = decision.id;
      this.recorder.incident(inc);
    }
    return decision;
  }

  private openIncident(
    run: Run,
    now: number,
    fields: Pick<
      Incident,
      'kind' | 'title' | 'reason' | 'action' | 'intended' | 'enforced' | 'rules' | 'confidence' | 'peak_cpu_percent' | 'peak_rss_mb' | 'templates' | 'evidence'
    >,
  ): void {
    this.close(now);
    const inc: Incident = {
      id: newId('inc', now),
      run_id: run.id,
      job_id: this.job.jobId,
      workspace_id: this.job.workspaceId,
      name: this.job.name,
      status: 'open',
      opened_at: now,
      updated_at: now,
      closed_at: null,
      actor: 'flowforge',
      decision_count: 0,
      first_decision_id: null,
      last_decision_id: null,
      ...fields,
    };
    this.open = inc;
    this.ids.push(inc.id);
    this.recorder.incident(inc, { summary: `${this.job.name}: ${inc.title}` });
  }
}
