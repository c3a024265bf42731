// One run's policy: a SignalSnapshot in, a Verdict out, once per tick. It
// judges every rule, keeps how long each has held (tolerating a short dip),
// picks the strongest action the rules earn, maps a runaway to what the task
// asked for (kill, restart or alert), lets the rollout mode and the
// workspace's protection hold stops back, and keeps episode bookkeeping. Pure apart from its own state: time comes
// from the snapshots.
import { periodOf, type SignatureInputs } from '../detect/signatures';
import { Stretch } from '../detect/stretch';
import type { SignalSnapshot } from '../detect/types';
import type { Action, RuleResult } from '../shared/protocol/domain';
import { redact } from '../shared/redact';
import { severity } from '../shared/protocol/actions';
import { Episodes } from './episodes';
import { canaryBucket, enforce, heldBackReason } from './rollout';
import { factorSummary, judgeRule, RULES, duration, ratio, type RuleEval, type RuleSpec } from './rules';
import { signalReadings } from './signals';
import type { EffectiveSettings, Verdict } from './types';

/** Of the last 5 ticks, this many with a rule not met end its held stretch. */
const MISSES_TO_RESET = 2;
/** Ticks come a few ms late or early; a window counts as reached this close to its end. */
const TICK_SLACK_MS = 250;

interface Judged {
  ev: RuleEval;
  heldMs: number;
  /** The incident whose "not a runaway" keeps this loop rule quiet now, if any. */
  allowedBy: string | null;
  /** What this rule alone earns now. */
  action: 'continue' | 'alert' | 'kill';
}

/** The one place evidence and templates are redacted before they leave the policy. */
export const redactEvidence = (lines: readonly string[]): string[] => lines.map((l) => redact(l));

/** What the policy is told besides the signals; it may change while a run lasts. */
export interface PolicyInputs {
  /** The workspace's protection: off, a stop the rules earn becomes an alert. */
  protection: boolean;
  /** The learned and allowed signatures of the job's scope (for the detector; see detect/signatures.ts). */
  signatures?: SignatureInputs;
}

export const PROTECTED: Readonly<PolicyInputs> = Object.freeze({ protection: true });

export class PolicyEngine {
  private readonly timers = new Map<string, Stretch>();
  private readonly episodes = new Episodes();
  readonly bucket: number;

  constructor(
    private readonly settings: EffectiveSettings,
    runKey: string,
  ) {
    this.bucket = canaryBucket(runKey);
  }

  evaluate(snap: SignalSnapshot, inputs: PolicyInputs = PROTECTED): Verdict {
    const judged = RULES.map((spec) => this.judge(spec, snap)).filter((j): j is Judged => j !== null);
    const fired = judged
      .filter((j) => j.action !== 'continue')
      .sort((a, b) => severity(b.action) - severity(a.action)); // stable: RULES order breaks ties
    const top = fired[0] ?? null;
    const intended = top && top.action !== 'continue' ? this.earned(top.action) : 'continue';
    const { rollout } = this.settings;
    const { action, enforced, heldBy } = enforce(intended, { rollout, bucket: this.bucket, protection: inputs.protection });
    const step = this.episodes.step(snap.t, intended, top ? { kind: top.ev.spec.id, title: top.ev.spec.title } : null);
    const closest = judged.reduce<Judged | null>((m, j) => (!m || j.ev.confidence > m.ev.confidence ? j : m), null);

    const findings = fired.map((j) => ({ rule: j.ev.spec.id, title: j.ev.spec.title, text: this.describe(j, snap) }));
    const said = top ? findings.map((f) => `${f.title}: ${f.text}`).join('; also ') : noRuleReason(closest);
    const reason = heldBackReason(said, intended, heldBy, rollout, this.bucket);

    return {
      action,
      intended,
      enforced,
      heldBy,
      canaryBucket: rollout.mode === 'canary' ? this.bucket : null,
      record: step.record,
      notify: step.notify,
      confidence: round3((top ?? closest)?.ev.confidence ?? 0),
      rules: judged.map((j) => this.ruleResult(j, snap)).sort((a, b) => Number(b.fired) - Number(a.fired)),
      signals: signalReadings(snap, this.settings.detection),
      reason,
      findings,
      templates: redactEvidence(snap.output.templates),
      evidence: redactEvidence(snap.output.evidence),
      episode: step.episode,
      learn: enforced ? learnedFrom(top, snap, intended) : null,
    };
  }

  /** What a runaway earns under the task's setting. */
  private earned(ruleAction: 'alert' | 'kill'): Action {
    if (ruleAction === 'alert') return 'alert';
    return this.settings.onRunaway;
  }

  private judge(spec: RuleSpec, snap: SignalSnapshot): Judged | null {
    const th = this.settings.detection;
    const ev = judgeRule(spec, snap, th);
    if (!ev) return null;
    const timer = this.timers.get(spec.id) ?? new Stretch(MISSES_TO_RESET);
    this.timers.set(spec.id, timer);
    // A person said this loop is not a runaway: its rules neither alert nor stop while it shows.
    const allowedBy = spec.learnable && snap.output.allowed ? snap.output.allowed.incidentId : null;
    if (allowedBy) {
      timer.update(snap.t, false);
      return { ev, heldMs: 0, action: 'continue', allowedBy };
    }
    const ok = ev.met && ev.confidence >= th.alertConfidence;
    timer.update(snap.t, ok);
    const heldMs = spec.held ? (ev.met ? spec.held(snap) : 0) : timer.heldMs(snap.t);
    const reached = (windowMs: number | null) => windowMs !== null && heldMs + TICK_SLACK_MS >= windowMs;
    let action: Judged['action'] = 'continue';
    if (ev.met && reached(spec.killAfterMs(th)) && ev.confidence >= th.killConfidence) action = 'kill';
    else if (ev.met && reached(spec.alertAfterMs(th)) && ev.confidence >= th.alertConfidence) action = 'alert';
    return { ev, heldMs, action, allowedBy: null };
  }

  private describe(j: Judged, snap: SignalSnapshot): string {
    return j.ev.spec.describe(snap, this.settings.detection, j.heldMs);
  }

  private ruleResult(j: Judged, snap: SignalSnapshot): RuleResult {
    const th = this.settings.detection;
    const { spec } = j.ev;
    const numbers = factorSummary(j.ev);
    const progress = j.ev.judged.some((x) => x.factor.signal === 'progress') ? `; progress: ${snap.output.progressDetail}` : '';
    const windows = windowText(spec.alertAfterMs(th), spec.killAfterMs(th));
    let detail: string;
    if (j.allowedBy) detail = `Allowed: the output shows the cycle marked "not a runaway" in incident ${j.allowedBy}. ${numbers}${progress}.`;
    else if (j.action !== 'continue') detail = `${this.describe(j, snap)}. ${numbers}${progress}.`;
    else if (j.ev.met) detail = `Signals agree for ${duration(j.heldMs)} (${windows}, confidence ${ratio(j.ev.confidence)}): ${numbers}${progress}.`;
    else detail = `Not met: ${numbers}${progress}.`;
    return { id: spec.id, title: spec.title, fired: j.action !== 'continue', confidence: round3(j.ev.confidence), detail };
  }
}

/**
 * What a confirmed runaway teaches: the signature of the loop a learnable rule
 * stopped (the matched one for a known runaway, else the output's own cycle).
 * Alerts and held-back stops teach nothing: only a stop confirms a runaway.
 */
function learnedFrom(top: Judged | null, snap: SignalSnapshot, intended: Action): Verdict['learn'] {
  if (!top || !top.ev.spec.learnable || (intended !== 'kill' && intended !== 'restart')) return null;
  const signature = top.ev.spec.id === 'learned_loop' ? (snap.output.learned?.signature ?? null) : snap.output.signature;
  if (!signature) return null;
  return { signature, period: periodOf(signature), rule: top.ev.spec.id, templates: redactEvidence(snap.output.templates) };
}

function windowText(alertAfter: number | null, killAfter: number | null): string {
  const parts: string[] = [];
  if (alertAfter !== null) parts.push(`alert after ${duration(alertAfter)}`);
  if (killAfter !== null) parts.push(`stop after ${duration(killAfter)}`);
  return parts.join(', ') || 'never acts';
}

function noRuleReason(closest: Judged | null): string {
  if (!closest || closest.ev.confidence < 0.5) return 'No runaway signs.';
  return `No rule fired (closest: ${closest.ev.spec.title}, confidence ${ratio(closest.ev.confidence)}).`;
}

const round3 = (v: number): number => Math.round(v * 1000) / 1000;
