// A ladder step as a Verdict, so that it goes the way of every other decision:
// into the run's incident (one incident for the whole nudge → block → stop
// episode), the store, the panel's timeline and the terminal banner.
import type { SignalSnapshot } from '../detect/types';
import { factorSummary, judgeRule, toolLoop } from '../policy/rules';
import { redactEvidence } from '../policy/policyEngine';
import { enforce, heldBackReason, type Enforcement } from '../policy/rollout';
import type { EffectiveSettings, Verdict } from '../policy/types';
import type { Action } from '../shared/protocol/domain';
import type { LadderStep } from './ladder';

const WORDS: Record<LadderStep['kind'], string> = {
  nudge: 'Nudged the agent',
  block: 'Refused the repeating call',
  stop: 'Stopping the agent',
  close: 'The agent moved on',
};

export function ladderVerdict(step: LadderStep, snap: SignalSnapshot, settings: EffectiveSettings, e: Enforcement): Verdict {
  const th = settings.detection;
  const withTools: SignalSnapshot = { ...snap, tools: step.reading };
  const ev = judgeRule(toolLoop, withTools, th);
  // A stop does what the task asked for a runaway (kill, restart, or only alert).
  const intended: Action = step.kind === 'stop' ? settings.onRunaway : step.kind === 'close' ? 'continue' : step.kind;
  const { action, enforced, heldBy } = enforceStep(intended, e);
  const text = step.reading ? `${step.reading.text}. ${WORDS[step.kind]}: "${step.message}"` : step.message;
  const reason = redactEvidence([heldBackReason(`${toolLoop.title}: ${text}`, intended, heldBy, e.rollout, e.bucket)])[0]!;
  const fired = step.kind !== 'close';
  return {
    action,
    intended,
    enforced,
    heldBy,
    canaryBucket: settings.rollout.mode === 'canary' ? e.bucket : null,
    record: true,
    notify: fired,
    confidence: fired ? 1 : 0,
    rules: [
      {
        id: toolLoop.id,
        title: toolLoop.title,
        fired,
        confidence: fired ? 1 : 0,
        detail: ev ? `${step.kind}: ${toolLoop.describe(withTools, th, 0)}. ${factorSummary(ev)}.` : step.message,
      },
    ],
    signals: [
      {
        name: 'tool_loop_calls',
        value: step.reading?.calls ?? null,
        threshold: th.toolLoopCalls,
        op: '>=',
        unit: `calls (${step.reading?.kind ?? 'none'})`,
        breached: fired,
      },
    ],
    reason,
    findings: fired ? [{ rule: toolLoop.id, title: toolLoop.title, text: redactEvidence([text])[0]! }] : [],
    templates: redactEvidence(step.reading?.what ?? []),
    evidence: redactEvidence(step.reading?.evidence ?? []),
    episode: { phase: step.kind === 'nudge' ? 'open' : step.kind === 'close' ? 'close' : 'update', kind: toolLoop.id, title: toolLoop.title },
  };
}

/**
 * A block is held back wherever a stop would be (shadow, a canary run left
 * out, protection off): it refuses the agent's call. It is then recorded as
 * the nudge it still is.
 */
export function enforceStep(intended: Action, e: Enforcement): ReturnType<typeof enforce> {
  if (intended !== 'block') return enforce(intended, e);
  const gate = enforce('kill', e);
  return gate.heldBy ? { action: 'nudge', enforced: false, heldBy: gate.heldBy } : { action: 'block', enforced: true, heldBy: null };
}
