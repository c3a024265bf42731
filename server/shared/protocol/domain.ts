// The records FlowForge keeps and shows: runs, samples, decisions, incidents,
// audit and lifecycle events, and the unified timeline that journals them.
// Defined once as zod schemas; the API, the extension and the webview (types
// only) all use these. Every timestamp is epoch milliseconds.
import { z } from 'zod';
import { ACTION_SCALE } from './actions';
import { PROFILE_NAMES, ROLLOUT_MODES, RUNAWAY_ACTIONS, TIMELINE_KINDS } from './choices';

export const ProfileName = z.enum(PROFILE_NAMES);
export type ProfileName = z.infer<typeof ProfileName>;

/** What a detected runaway earns. */
export const RunawayAction = z.enum(RUNAWAY_ACTIONS);
export type RunawayAction = z.infer<typeof RunawayAction>;

/** Every decision the policy can take, mildest first (the severity scale lives in ./actions). */
export const Action = z.enum(ACTION_SCALE);
export type Action = z.infer<typeof Action>;

export const RolloutMode = z.enum(ROLLOUT_MODES);
export type RolloutMode = z.infer<typeof RolloutMode>;

/** Why a run ended: by itself, stopped by FlowForge (for good or for a restart), by a person, never started, or its supervisor went away. */
export const EndReason = z.enum([
  'exited',
  'killed',
  'restarted',
  'stopped_by_user',
  'failed_to_start',
  'supervisor_shutdown',
  /** Found unfinished when the store was next opened: the supervisor that ran it died without recording its end. */
  'supervisor_lost',
]);
export type EndReason = z.infer<typeof EndReason>;

export const Lifecycle = z.enum(['STARTING', 'RUNNING', 'STOPPING', 'STOPPED', 'FAILED']);
export type Lifecycle = z.infer<typeof Lifecycle>;

/** Who started a run. `watch` = a process tree FlowForge did not start (terminal command). */
export const RunSource = z.enum(['cli', 'api', 'task', 'terminal', 'watch', 'demo']);
export type RunSource = z.infer<typeof RunSource>;

export const Run = z.object({
  id: z.string(),
  /** Shared by every attempt of one job; equals the id of attempt 1. */
  job_id: z.string(),
  attempt: z.number().int().min(1),
  name: z.string(),
  /** Redacted display form of the command line. */
  command: z.string(),
  argv: z.array(z.string()),
  shell: z.boolean(),
  cwd: z.string(),
  workspace_id: z.string().nullable(),
  source: RunSource,
  profile: ProfileName,
  on_runaway: RunawayAction,
  restartable: z.boolean(),
  pid: z.number().int().nullable(),
  pgid: z.number().int().nullable(),
  lifecycle: Lifecycle,
  started_at: z.number(),
  ended_at: z.number().nullable(),
  exit_code: z.number().int().nullable(),
  signal: z.string().nullable(),
  end_reason: EndReason.nullable(),
  peak_cpu_percent: z.number(),
  peak_rss_mb: z.number(),
  intervened: z.boolean(),
  /** The key of the API client that started it (submit-scoped keys see only their own runs). */
  owner: z.string().nullable(),
});
export type Run = z.infer<typeof Run>;

/** One sampling tick of a run: resources of the whole tree plus the output signals. */
export const Sample = z.object({
  run_id: z.string(),
  t: z.number(),
  /** Percent of one core summed over the tree; null until a pid has two readings. */
  cpu_percent: z.number().nullable(),
  rss_mb: z.number(),
  procs: z.number().int(),
  lines: z.number().int(),
  bytes: z.number().int(),
  repetition: z.number(),
  novelty: z.number(),
  rate: z.number(),
  silence_s: z.number(),
});
export type Sample = z.infer<typeof Sample>;

/** One signal as the policy saw it when deciding. */
export const SignalReading = z.object({
  name: z.string(),
  value: z.number().nullable(),
  threshold: z.number().nullable(),
  /** `>=`: breached when value >= threshold; `<=`: breached when value <= threshold. */
  op: z.enum(['>=', '<=']),
  unit: z.string(),
  breached: z.boolean(),
});
export type SignalReading = z.infer<typeof SignalReading>;

/** A rule of the policy and whether it fired, with its own confidence. */
export const RuleResult = z.object({
  id: z.string(),
  title: z.string(),
  fired: z.boolean(),
  confidence: z.number().min(0).max(1),
  /** Plain-language explanation with the numbers that made it fire (or not). */
  detail: z.string(),
});
export type RuleResult = z.infer<typeof RuleResult>;

export const Decision = z.object({
  id: z.string(),
  run_id: z.string(),
  job_id: z.string(),
  t: z.number(),
  /** What FlowForge did. */
  action: Action,
  /** What the policy wanted before the rollout mode had its say. */
  intended: Action,
  rollout: RolloutMode,
  canary_percent: z.number().nullable(),
  canary_bucket: z.number().int().nullable(),
  enforced: z.boolean(),
  confidence: z.number().min(0).max(1),
  rules: z.array(RuleResult),
  signals: z.array(SignalReading),
  templates: z.array(z.string()),
  evidence: z.array(z.string()),
  reason: z.string(),
  profile: ProfileName,
  incident_id: z.string().nullable(),
});
export type Decision = z.infer<typeof Decision>;

export const IncidentStatus = z.enum(['open', 'closed']);
export type IncidentStatus = z.infer<typeof IncidentStatus>;

export const Incident = z.object({
  id: z.string(),
  run_id: z.string(),
  job_id: z.string(),
  workspace_id: z.string().nullable(),
  name: z.string(),
  /** The main rule that fired (`cpu_loop`, `memory_limit`, `restart_budget_spent`, ...). */
  kind: z.string(),
  title: z.string(),
  reason: z.string(),
  status: IncidentStatus,
  opened_at: z.number(),
  updated_at: z.number(),
  closed_at: z.number().nullable(),
  /** What was done: `alert`, `kill`, `restart`, or `continue` when shadow/canary held it back. */
  action: Action,
  intended: Action,
  enforced: z.boolean(),
  actor: z.string(),
  rules: z.array(z.string()),
  confidence: z.number(),
  peak_cpu_percent: z.number(),
  peak_rss_mb: z.number(),
  decision_count: z.number().int(),
  first_decision_id: z.string().nullable(),
  last_decision_id: z.string().nullable(),
  templates: z.array(z.string()),
  evidence: z.array(z.string()),
});
export type Incident = z.infer<typeof Incident>;

/**
 * A learned signature: the output cycle of a runaway a loop rule stopped,
 * remembered per scope (a workspace, or `dir:<cwd>` for a CLI run outside
 * one). `learned`: the next job showing it is flagged at its first full
 * cycle; `allowed`: a person said "not a runaway", and loop rules stay quiet
 * while it shows. See docs/detection.md.
 */
export const SignatureStatus = z.enum(['learned', 'allowed']);
export type SignatureStatus = z.infer<typeof SignatureStatus>;

export const Signature = z.object({
  scope: z.string(),
  /** `p<period>-<16 hex>`: the hash of the cycle's template sequence. */
  signature: z.string(),
  period: z.number().int(),
  status: SignatureStatus,
  /** The incident that first taught it. */
  incident_id: z.string(),
  run_id: z.string().nullable(),
  /** The rule that stopped the job (`cpu_loop`, `output_loop`, `learned_loop`). */
  rule: z.string(),
  /** The cycle's dominant templates (redacted), for a person to recognise it. */
  templates: z.array(z.string()),
  learned_at: z.number(),
  updated_at: z.number(),
  /** Stops that confirmed it (the first included). */
  hits: z.number().int(),
  allowed_at: z.number().nullable(),
  allowed_by: z.string().nullable(),
  allowed_reason: z.string().nullable(),
  /** The incident a person marked "not a runaway". */
  allowed_incident_id: z.string().nullable(),
});
export type Signature = z.infer<typeof Signature>;

export const AuditEvent = z.object({
  id: z.string(),
  t: z.number(),
  /** `flowforge` for automatic actions, `user` for the CLI/editor user, `api:<key name>` for API clients. */
  actor: z.string(),
  action: z.string(),
  reason: z.string(),
  request_id: z.string().nullable(),
  run_id: z.string().nullable(),
  workspace_id: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
});
export type AuditEvent = z.infer<typeof AuditEvent>;

export const LifecycleEvent = z.object({
  id: z.string(),
  t: z.number(),
  run_id: z.string(),
  job_id: z.string(),
  phase: Lifecycle,
  previous: Lifecycle.nullable(),
  reason: z.string(),
  request_id: z.string().nullable(),
});
export type LifecycleEvent = z.infer<typeof LifecycleEvent>;

export const TimelineKind = z.enum(TIMELINE_KINDS);
export type TimelineKind = z.infer<typeof TimelineKind>;

/**
 * One row of the journal. Every durable record change appends one; its `seq`
 * is the SSE event id, so `Last-Event-ID` replay reads straight from here.
 */
export const TimelineEvent = z.object({
  seq: z.number().int(),
  t: z.number(),
  kind: TimelineKind,
  ref_id: z.string(),
  run_id: z.string().nullable(),
  incident_id: z.string().nullable(),
  workspace_id: z.string().nullable(),
  request_id: z.string().nullable(),
  summary: z.string(),
  data: z.record(z.string(), z.unknown()),
});
export type TimelineEvent = z.infer<typeof TimelineEvent>;

export const Workspace = z.object({
  id: z.string(),
  path: z.string(),
  profile: ProfileName,
  client: z.string(),
  protection_enabled: z.boolean(),
  protection_reason: z.string(),
  registered_at: z.number(),
  updated_at: z.number(),
});
export type Workspace = z.infer<typeof Workspace>;
