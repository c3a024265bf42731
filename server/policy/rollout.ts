// What the policy enforces of what the rules intend. Rollout modes, so a new
// policy can be tried without stopping anyone's job: enforce, shadow (decide
// and record, never stop) and canary (a stable share of runs enforced: the run
// key's hash picks a bucket). Beside the rollout, the workspace's protection:
// when a person turned it off, a stop the rules earned becomes an alert. Only
// stopping actions are held back; alerts always go through.
import { isStop } from '../shared/protocol/actions';
import type { Action } from '../shared/protocol/domain';
import { fnv1a32 } from '../util/ids';
import type { RolloutSettings } from './types';

/** 0..99, the same for every evaluation of one run. */
export function canaryBucket(runKey: string): number {
  return fnv1a32(runKey || 'default-rollout-key') % 100;
}

/** What held an intended stop back, if anything. */
export type HeldBy = 'shadow' | 'canary' | 'protection' | null;

/** What can hold a stop back for one run: its rollout (fixed) and its workspace's protection (may change mid-run). */
export interface Enforcement {
  rollout: RolloutSettings;
  bucket: number;
  protection: boolean;
}

export function applyRollout(
  intended: Action,
  rollout: RolloutSettings,
  bucket: number,
): { action: Action; enforced: boolean } {
  if (!isStop(intended) || rollout.mode === 'enforce') return { action: intended, enforced: true };
  if (rollout.mode === 'canary' && bucket < rollout.canaryPercent) return { action: intended, enforced: true };
  return { action: 'continue', enforced: false };
}

/**
 * The rollout first (shadow/canary turn a stop into `continue`), then the
 * protection (off: an enforced stop becomes an `alert`, so the person still hears of it).
 */
export function enforce(intended: Action, e: Enforcement): { action: Action; enforced: boolean; heldBy: HeldBy } {
  const rolled = applyRollout(intended, e.rollout, e.bucket);
  if (!rolled.enforced) return { ...rolled, heldBy: e.rollout.mode === 'shadow' ? 'shadow' : 'canary' };
  if (!e.protection && isStop(rolled.action)) return { action: 'alert', enforced: false, heldBy: 'protection' };
  return { ...rolled, heldBy: null };
}

/** How a held-back stop is introduced in reasons, e.g. "Shadow mode: would have stopped the job." */
export function heldBackPrefix(intended: Action, rollout: RolloutSettings, bucket: number): string {
  const would = intended === 'restart' ? 'would have restarted the job' : 'would have stopped the job';
  return rollout.mode === 'shadow'
    ? `Shadow mode: ${would}.`
    : `Canary mode (${rollout.canaryPercent}% of runs, this run's bucket ${bucket}): not enforced here, ${would}.`;
}

/** Appended to the reason of a stop that protection held back. */
export const PROTECTION_OFF_NOTE = '(not acted on: protection is off for this workspace)';

/** The verdict's reason, saying what held a stop back. */
export function heldBackReason(reason: string, intended: Action, heldBy: HeldBy, rollout: RolloutSettings, bucket: number): string {
  if (heldBy === 'protection') return `${reason} ${PROTECTION_OFF_NOTE}`;
  if (heldBy) return `${heldBackPrefix(intended, rollout, bucket)} ${reason}`;
  return reason;
}
