// What a job does with each verdict: count it, keep the incident and decision
// records, tell people (alerts back off inside the policy), and for a kill or
// restart say how the attempt must stop. It never changes the job's state
// itself: it returns the stop, and the job's state machine carries it out.
import type { SignalSnapshot } from '../detect/types';
import { explainVerdict } from '../policy/explain';
import type { RestartController } from '../policy/restart';
import type { Verdict } from '../policy/types';
import type { Run } from '../shared/protocol/domain';
import { redact } from '../shared/redact';
import type { InterventionEvent } from './events';
import { firedRules, type IncidentBook } from './incidentBook';
import type { JobTally } from './jobOutcome';
import type { ActorInfo, JobContext, JobSpec } from './jobSpec';
import { signatureScope } from './signatureBook';

/** How FlowForge wants the attempt stopped: for good (`killed`), or to start it again after `delayMs`. */
export type AutoStop = { endReason: 'killed'; why: string } | { endReason: 'restarted'; why: string; delayMs: number };

export class Interventions {
  constructor(
    private readonly spec: JobSpec,
    private readonly ctx: JobContext,
    private readonly tally: JobTally,
    private readonly incidents: IncidentBook,
    private readonly restarts: RestartController,
  ) {}

  /** Records and announces a verdict; returns the stop it calls for, if any. */
  react(run: Run, verdict: Verdict, snap: SignalSnapshot): AutoStop | null {
    this.tally.noteVerdict(verdict, snap.t);
    this.incidents.track(run, verdict, snap);
    if (verdict.record) this.incidents.recordDecision(run, verdict);

    switch (verdict.action) {
      case 'kill':
      case 'restart':
        return this.intervene(run, verdict, snap);
      case 'alert':
      case 'nudge':
      case 'block':
        if (shouldNotify(verdict)) this.announce(run, 'alert', verdict, snap);
        return null;
      case 'continue':
        if (verdict.intended !== 'continue' && shouldNotify(verdict)) this.announce(run, 'held', verdict, snap);
        return null;
    }
  }

  private intervene(run: Run, verdict: Verdict, snap: SignalSnapshot): AutoStop {
    const now = snap.t;
    const kind = verdict.action === 'restart' ? 'restart' : 'kill';
    this.tally.noteIntervention(kind, now);
    run.intervened = true;
    this.audit(run, kind === 'kill' ? 'auto_kill' : 'auto_restart', { actor: 'flowforge', reason: verdict.reason }, {
      confidence: verdict.confidence,
      rules: firedRules(verdict),
      incident_id: this.incidents.current?.id ?? null,
    });
    const why = `FlowForge: ${verdict.reason}`;
    // A loop FlowForge stopped is a confirmed runaway: its cycle is remembered for this scope.
    if (verdict.learn) this.ctx.signatures?.learn(signatureScope(this.spec), run, this.incidents.current, verdict.learn);
    if (kind === 'kill') {
      this.announce(run, 'kill', verdict, snap);
      return { endReason: 'killed', why };
    }
    const answer = this.restarts.next(now);
    if (!answer.allowed) {
      this.incidents.budgetSpent(run, answer.reason, now, { cpu: this.tally.peakCpu, rssMb: this.tally.peakRssMb });
      this.announce(run, 'budget_spent', verdict, snap, [answer.reason]);
      return { endReason: 'killed', why: answer.reason };
    }
    this.announce(run, 'restart', verdict, snap, [`Restarting in ${formatDelay(answer.delayMs)}.`]);
    return { endReason: 'restarted', why, delayMs: answer.delayMs };
  }

  private announce(run: Run, kind: InterventionEvent['kind'], verdict: Verdict, snap: SignalSnapshot, extra: string[] = []): void {
    if (kind === 'alert' || kind === 'held') this.tally.alerts++;
    this.ctx.events.emit('intervention', {
      run,
      kind,
      verdict,
      snapshot: snap,
      incident: this.incidents.current,
      explanation: [...explainVerdict(verdict, snap), ...extra].map(redact),
    });
  }

  /** One audit row for an action on the job, by FlowForge or a person. */
  audit(run: Run | null, action: string, by: ActorInfo, details: Record<string, unknown> = {}): void {
    this.ctx.recorder.audit({
      actor: by.actor,
      action,
      reason: by.reason,
      request_id: by.requestId ?? null,
      run_id: run?.id ?? null,
      workspace_id: this.spec.workspaceId,
      details,
    });
  }
}

/** Alerts back off inside the policy; the verdict says when one is worth telling a person. */
const shouldNotify = (v: Verdict): boolean => v.notify ?? v.episode?.phase === 'open';

const formatDelay = (ms: number) => (ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`);
