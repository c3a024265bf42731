// The fixed choices of a run's settings, as plain lists. The protocol's zod
// enums are built from them (domain.ts); code that only needs the names (the
// CLI's flag checks on every `flowforge run`) reads them here without loading
// zod.
export const PROFILE_NAMES = ['light', 'standard', 'strict', 'agent'] as const;
export const RUNAWAY_ACTIONS = ['alert', 'kill', 'restart'] as const;
export const ROLLOUT_MODES = ['enforce', 'shadow', 'canary'] as const;
/** Every kind of journal row, in the order the panel offers them as filters. */
export const TIMELINE_KINDS = ['run', 'decision', 'incident', 'lifecycle', 'audit'] as const;
export type TimelineKindName = (typeof TIMELINE_KINDS)[number];
/**
 * The audit action of a person's "not a runaway" verdict on an incident
 * (`flowforge allow <incident>`, the panel's button, the API). The metrics count
 * these rows as false-stop feedback, so whoever writes them uses this name.
 */
export const NOT_A_RUNAWAY_AUDIT_ACTION = 'allow_signature';
