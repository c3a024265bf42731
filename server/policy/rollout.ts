// Rollout modes (SPEC §5): enforce, shadow (decide and record, never stop) and
// canary (a stable share of runs enforced: the run key's hash picks a bucket).
// Only stopping actions are held back; alerts always go through.
import type { Action } from '../shared/protocol/domain';
import { fnv1a32 } from '../util/ids';
import type { RolloutSettings } from './types';

/** 0..99, the same for every evaluation of one run. */
export function canaryBucket(runKey: string): number {
  return fnv1a32(runKey || 'default-rollout-key') % 100;
}

export const isStop = (a: Action): boolean => a === 'kill' || a === 'restart';

export function applyRollout(
  intended: Action,
  rollout: RolloutSettings,
  bucket: number,
): { action: Action; enforced: boolean } {
  if (!isStop(intended) || rollout.mode === 'enforce') return { action: intended, enforced: true };
  if (rollout.mode === 'canary' && bucket < rollout.canaryPercent) return { action: intended, enforced: true };
  return { action: 'continue', enforced: false };
}

/** How a held-back stop is introduced in reasons, e.g. "Shadow mode: would have stopped the job." */
export function heldBackPrefix(intended: Action, rollout: RolloutSettings, bucket: number): string {
  const would = intended === 'restart' ? 'would have restarted the job' : 'would have stopped the job';
  return rollout.mode === 'shadow'
    ? `Shadow mode: ${would}.`
    : `Canary mode (${rollout.canaryPercent}% of runs, this run's bucket ${bucket}): not enforced here, ${would}.`;
}
