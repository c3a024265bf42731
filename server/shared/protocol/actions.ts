// Every action FlowForge can take on a job, mildest first. The order is the
// one severity scale that every part ranks actions by: the policy picking the
// strongest rule, an episode noticing it escalated (an alert becoming a stop),
// an incident keeping the strongest action it saw. Adding an action is one
// line here, at its place on the scale (the protocol's Action enum is built
// from this list).
export const ACTION_SCALE = [
  'continue',
  'alert',
  // An agent's tool-call loop (server/agents/ladder.ts): a message to the agent,
  // then its repeating call refused. Neither stops the job's processes.
  'nudge',
  'block',
  'restart',
  'kill',
] as const;

export type ActionName = (typeof ACTION_SCALE)[number];

/** The action's rank on the scale: higher acts more strongly. */
export const severity = (a: ActionName): number => ACTION_SCALE.indexOf(a);

/**
 * Whether the action stops the job's processes: restart and everything above
 * it. Rollout modes and the workspace's protection hold exactly these back.
 */
export const isStop = (a: ActionName): boolean => severity(a) >= severity('restart');
