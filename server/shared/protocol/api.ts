// The /v1 API contract: zod schemas for every path parameter, query, body and
// response of the API. Shared by the server (validation, OpenAPI),
// the extension (typed client) and the webview (types only). Request schemas
// are strict: an unknown field is an error that names it, never ignored.
import { z } from 'zod';
import {
  Decision,
  Incident,
  Lifecycle,
  ProfileName,
  RolloutMode,
  Run,
  RunawayAction,
  Sample,
  Signature,
  TimelineEvent,
  TimelineKind,
  Workspace,
} from './domain';

// ------------------------------------------------------------------ building blocks

/** Ids of runs, jobs, incidents and workspaces: what the store hands out, and what integrations choose. */
export const Identifier = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{1,128}$/, { error: 'must be 1-128 characters of letters, digits, ".", "_", ":" or "-"' });

/** Visible ASCII, 1-128 characters: `X-Request-Id`, `Idempotency-Key`. */
export const VISIBLE_ASCII_TOKEN = /^[\x21-\x7e]{1,128}$/;
export const RequestId = z.string().regex(VISIBLE_ASCII_TOKEN, { error: 'must be 1-128 visible ASCII characters' });

const noNul = (s: string) => !s.includes('\0');
const text = (max: number) =>
  z.string().max(max, { error: `must be at most ${max} characters` }).refine(noNul, { error: 'must not contain NUL characters' });
const requiredText = (max: number) => text(max).refine((s) => s.trim().length > 0, { error: 'must not be empty' });

export const AbsolutePath = text(4096).refine((p) => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p), {
  error: 'must be an absolute path',
});

/** A human reason for an action; stored (redacted) on the audit row. */
export const Reason = requiredText(500).describe('Why: stored on the audit record (redacted).');

/** Query-string integers (`?limit=50`): digits only, then range-checked. */
function queryInt(min: number, max: number) {
  return z
    .string()
    .regex(/^[0-9]{1,10}$/, { error: 'must be a whole number' })
    .transform(Number)
    .pipe(z.number().int().min(min, { error: `must be at least ${min}` }).max(max, { error: `must be at most ${max}` }));
}

const queryBool = z
  .enum(['true', 'false', '1', '0'], { error: 'must be true, false, 1 or 0' })
  .transform((v) => v === 'true' || v === '1');

export const PAGE_LIMIT_MAX = 500;
export const PAGE_LIMIT_DEFAULT = 100;

const pageFields = {
  limit: queryInt(1, PAGE_LIMIT_MAX).optional().describe(`Page size, 1-${PAGE_LIMIT_MAX} (default ${PAGE_LIMIT_DEFAULT}).`),
  cursor: z
    .string()
    .min(1)
    .max(512, { error: 'must be at most 512 characters' })
    .optional()
    .describe('The `next_cursor` of the previous page, unchanged. Omit for the first page.'),
};

/** `{items, next_cursor, has_more}`: newest first; follow `next_cursor` while `has_more`. */
export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), next_cursor: z.string().nullable(), has_more: z.boolean() });
}

// ------------------------------------------------------------------ path parameters

export const RunIdParams = z.strictObject({ id: Identifier.describe('A run id.') });
export const WorkspaceIdParams = z.strictObject({ id: Identifier.describe('A workspace id.') });
export const IncidentIdParams = z.strictObject({ id: Identifier.describe('An incident id.') });
export const RequestIdParams = z.strictObject({ request_id: RequestId.describe('The X-Request-Id of an earlier request.') });

// ------------------------------------------------------------------ queries

export const EmptyQuery = z.strictObject({});

export const RunsQuery = z.strictObject({
  ...pageFields,
  workspace_id: Identifier.optional(),
  job_id: Identifier.optional().describe('Every attempt of one job.'),
  active: queryBool.optional().describe('true: only running jobs; false: only ended runs.'),
  owner: z.string().min(1).max(64).optional().describe('Runs started by this API key name (admin and read keys only).'),
});
export type RunsQuery = z.infer<typeof RunsQuery>;

export const RunDetailQuery = z.strictObject({
  samples: queryInt(0, 5000).optional().describe('How many of the newest samples to include (default 300).'),
});

export const RunOutputQuery = z.strictObject({
  limit: queryInt(1, 200).optional().describe('How many of the newest lines (default 200).'),
  after: z
    .string()
    .regex(/^[0-9]{1,15}$/, { error: 'must be a byte offset (a whole number)' })
    .transform(Number)
    .optional()
    .describe('A byte offset (an `end` or an output event’s `end` seen before): answer with the output from there on, as `chunks`, instead of lines.'),
});

/** The most samples one incident detail carries (one a second: well over an hour). */
export const INCIDENT_SAMPLES_MAX = 5000;
export const IncidentDetailQuery = z.strictObject({
  samples: queryInt(0, INCIDENT_SAMPLES_MAX).optional().describe("How many of the run's newest samples to include (default 300)."),
});

export const IncidentsQuery = z.strictObject({
  ...pageFields,
  status: z.enum(['open', 'closed']).optional(),
  kind: z.string().regex(/^[a-z0-9_]{1,64}$/, { error: 'must be a rule kind such as cpu_loop' }).optional(),
  run_id: Identifier.optional(),
  workspace_id: Identifier.optional(),
});
export type IncidentsQuery = z.infer<typeof IncidentsQuery>;

export const TimelineQuery = z.strictObject({
  ...pageFields,
  kinds: z
    .string()
    .max(200)
    .transform((s) => s.split(',').map((k) => k.trim()).filter(Boolean))
    .pipe(z.array(TimelineKind))
    .optional()
    .describe('Comma-separated kinds: run, decision, incident, lifecycle, audit.'),
  run_id: Identifier.optional(),
  workspace_id: Identifier.optional(),
  incident_id: Identifier.optional().describe('The drill-down chain of one incident (all of it, oldest first; no paging).'),
});
export type TimelineQuery = z.infer<typeof TimelineQuery>;

export const LifecycleQuery = z.strictObject({
  limit: queryInt(1, PAGE_LIMIT_MAX).optional().describe('How many recent transitions (default 50).'),
});

export const RequestTraceQuery = z.strictObject({
  limit: queryInt(1, 1000).optional().describe('At most this many events (default 200).'),
});

export const REPLAY_HISTORY_DAYS_MAX = 90;
export const ReplayHistoryQuery = z.strictObject({
  days: queryInt(1, REPLAY_HISTORY_DAYS_MAX).optional().describe('How many UTC days, today included (default 7).'),
});

export const StreamQuery = z.strictObject({
  last_event_id: z
    .string()
    .regex(/^[0-9]{1,15}$/, { error: 'must be the id of an earlier event' })
    .optional()
    .describe('Same as the Last-Event-ID header (the header wins).'),
  run_id: Identifier.optional().describe('Only events of this run.'),
  samples: queryBool.optional().describe('Send `sample` events (default true).'),
  output: queryBool.optional().describe('Send `output` events of `run_id` (requires run_id).'),
});
export type StreamQuery = z.infer<typeof StreamQuery>;

// ------------------------------------------------------------------ bodies

/** Policy knobs a run can override (thresholds, action, rollout); the profile's values fill the rest. */
const policyFields = {
  profile: ProfileName.optional().describe("Detection profile; default: the workspace's profile, else standard."),
  max_cpu: z.number().min(1).max(6400).optional().describe('CPU threshold, percent of one core (tree total).'),
  max_memory_mb: z.number().min(1).max(16 * 1024 * 1024).optional().describe('Memory limit of the tree, MB.'),
  rollout: RolloutMode.optional(),
  canary_percent: z.number().min(0).max(100).optional(),
  grace_ms: z.number().int().min(0).max(600_000).optional().describe('Time between SIGTERM and SIGKILL.'),
  agent_telemetry: z.boolean().optional().describe("Point the agent's OpenTelemetry exporter at a loopback receiver of this run (default: on in the agent profile or with a budget). Started runs only."),
  max_cost_usd: z.number().min(0.01).max(1_000_000).optional().describe('Stop the run when the agent reports this much cost (USD) in it.'),
  max_tokens_per_min: z.number().min(1).max(1e12).optional().describe('Stop the run when the agent reports this many tokens within a minute.'),
  max_burn_usd_per_hour: z.number().min(0.01).max(1_000_000).optional().describe("Alert when the agent's recent spending reaches this much per hour (USD)."),
};

const EnvName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, { error: 'must be an environment variable name' });

export const StartRunBody = z.strictObject({
  command: requiredText(4096).describe('The program (or, with shell: true, the command line).'),
  args: z.array(text(8192)).max(1000).default([]),
  cwd: AbsolutePath.describe('Absolute path of an existing directory.'),
  env: z
    .record(EnvName, text(32_768))
    .refine((e) => Object.keys(e).length <= 256, { error: 'must have at most 256 variables' })
    .optional()
    .describe("Added to the supervisor's environment; FlowForge's own secrets are always removed."),
  shell: z.boolean().default(false),
  stdin: z.enum(['pipe', 'ignore']).default('pipe').describe('pipe: POST /runs/{id}/input writes to it.'),
  name: requiredText(200).optional(),
  ...policyFields,
  on_runaway: RunawayAction.optional().describe('Default: restart when restartable, else kill.'),
  restartable: z.boolean().default(false),
  workspace_id: Identifier.optional().describe('A registered workspace: its protection and profile apply.'),
});
export type StartRunBody = z.infer<typeof StartRunBody>;

export const WatchBody = z.strictObject({
  pid: z.number().int().min(2).max(4_194_304).describe("The terminal shell's pid; its descendants are the command."),
  name: requiredText(200),
  command: text(4096).optional().describe('The command line, for display.'),
  cwd: AbsolutePath.optional(),
  workspace_id: Identifier.optional(),
  ...policyFields,
  on_runaway: z.enum(['alert', 'kill']).optional().describe('A terminal command cannot be restarted.'),
});
export type WatchBody = z.infer<typeof WatchBody>;

export const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const;
export const SignalBody = z.strictObject({ signal: z.enum(SIGNALS) });

export const InputBody = z
  .strictObject({
    data: text(32_768).optional().describe('UTF-8 text to write.'),
    data_base64: z.base64({ error: 'must be base64' }).max(43_692, { error: 'must encode at most 32 KB' }).optional().describe('Bytes to write, base64 (at most 32 KB).'),
  })
  .check((ctx) => {
    if ((ctx.value.data === undefined) === (ctx.value.data_base64 === undefined))
      ctx.issues.push({ code: 'custom', message: 'give exactly one of data or data_base64', input: ctx.value, path: [] });
  });
export type InputBody = z.infer<typeof InputBody>;

export const LINES_MAX = 1000;
export const LINE_MAX_CHARS = 8192;
export const LinesBody = z
  .strictObject({
    lines: z.array(z.string().max(LINE_MAX_CHARS, { error: `must be at most ${LINE_MAX_CHARS} characters` })).max(LINES_MAX, {
      error: `must have at most ${LINES_MAX} lines; send more in several requests`,
    }),
    end: z.strictObject({ exit_code: z.number().int().min(-1024).max(1024).nullable() }).optional().describe('The command ended.'),
  })
  .check((ctx) => {
    if (ctx.value.lines.length === 0 && !ctx.value.end)
      ctx.issues.push({ code: 'custom', message: 'give at least one line or end', input: ctx.value, path: ['lines'] });
  });
export type LinesBody = z.infer<typeof LinesBody>;

export const ProcessActionBody = z.strictObject({ run_id: Identifier, reason: Reason });
export type ProcessActionBody = z.infer<typeof ProcessActionBody>;

/** POST /v1/incidents/{id}/allow: "not a runaway". */
export const AllowIncidentBody = z.strictObject({ reason: text(500).optional() });
export type AllowIncidentBody = z.infer<typeof AllowIncidentBody>;

export const RegisterWorkspaceBody = z.strictObject({
  workspace_id: Identifier,
  workspace_path: AbsolutePath,
  profile: ProfileName.default('standard'),
  client: requiredText(100).default('unknown').describe('Who registers it, e.g. vscode.'),
});
export type RegisterWorkspaceBody = z.infer<typeof RegisterWorkspaceBody>;

export const UnregisterWorkspaceBody = z.strictObject({ reason: text(500).optional() });

export const ProtectionBody = z.strictObject({
  enabled: z.boolean({ error: 'must be true or false (required)' }),
  reason: text(500).optional(),
});
export type ProtectionBody = z.infer<typeof ProtectionBody>;

export const WorkspaceActionBody = z.strictObject({
  action: z.enum(['kill', 'restart']),
  reason: Reason,
  run_id: Identifier.optional().describe("Default: the workspace's most recently started active run."),
});
export type WorkspaceActionBody = z.infer<typeof WorkspaceActionBody>;

// ------------------------------------------------------------------ responses

export const Problem = z.object({
  type: z.string().describe('A stable URI per kind of problem.'),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  instance: z.string(),
  request_id: z.string(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional().describe('Validation problems, one per field.'),
  retry_after_seconds: z.number().int().optional(),
});
export type Problem = z.infer<typeof Problem>;

export const Healthz = z.object({ status: z.literal('ok') });

const Check = z.object({ ok: z.boolean(), detail: z.string() });
export const Readyz = z.object({
  status: z.enum(['ready', 'not-ready']),
  checks: z.object({ store: Check, sampler: Check }),
});
export type Readyz = z.infer<typeof Readyz>;

export const RunPage = pageOf(Run);
export const IncidentPage = pageOf(Incident);
export const TimelinePage = pageOf(TimelineEvent);

/** Everything the drill-down shows for one incident (GET /v1/incidents/{id}). */
export const IncidentDetail = z.object({
  incident: Incident,
  /** Null when retention already removed the run. */
  run: Run.nullable(),
  /** The run's newest samples, oldest first. */
  samples: z.array(Sample),
  /** The incident's decisions, oldest first. */
  decisions: z.array(Decision),
  /** The incident's journal: its run's rows and its own, oldest first. */
  chain: z.array(TimelineEvent),
});
export type IncidentDetail = z.infer<typeof IncidentDetail>;

export const RunDetail = z.object({ run: Run, active: z.boolean(), samples: z.array(Sample) });
export type RunDetail = z.infer<typeof RunDetail>;

const OutputStream = z.enum(['stdout', 'stderr']);
/** Offsets count the bytes of a run's output (UTF-8; stdout and stderr together, in the order they came). */
const ByteOffset = z.number().int().min(0);
export const OutputLine = z.object({ stream: OutputStream, text: z.string() });
/** Output as it came (escapes kept), redacted, starting at byte `offset` of the run's output. */
export const OutputChunk = z.object({ stream: OutputStream, offset: ByteOffset, text: z.string() });
export type OutputChunk = z.infer<typeof OutputChunk>;
export const RunOutput = z.object({
  run_id: z.string(),
  /** False when this supervisor never saw the run's output (an earlier session). */
  available: z.boolean(),
  /** True when older output was dropped from the bounded buffer (with `after`: the bytes between `after` and `offset`). */
  truncated: z.boolean(),
  /** Without `after`: the newest lines, ANSI removed, redraws collapsed. Empty with `after`. */
  lines: z.array(OutputLine),
  /** Without `after`: the oldest byte kept. With `after`: where `chunks` begin. */
  offset: ByteOffset,
  /** Just past the newest byte: how much the run has printed so far. Ask `after=end` next. */
  end: ByteOffset,
  /** With `after`: the output from `offset` to `end`. Empty without. */
  chunks: z.array(OutputChunk),
});
export type RunOutput = z.infer<typeof RunOutput>;

export const RunCreated = z.object({ run: Run });
export const SignalResult = z.object({ run_id: z.string(), signal: z.enum(SIGNALS), delivered: z.boolean() });
export const InputResult = z.object({ run_id: z.string(), bytes: z.number().int() });
export const LinesResult = z.object({ run_id: z.string(), accepted: z.number().int(), ended: z.boolean() });

export const ActiveRunPhase = z.object({
  run_id: z.string(),
  job_id: z.string(),
  name: z.string(),
  phase: Lifecycle,
  pid: z.number().int().nullable(),
  workspace_id: z.string().nullable(),
  started_at: z.number(),
});
export const WorkerLifecycle = z.object({ active: z.array(ActiveRunPhase), recent: z.array(TimelineEvent) });
export type WorkerLifecycle = z.infer<typeof WorkerLifecycle>;

export const ProcessActionResult = z.object({
  status: z.enum(['stop_requested', 'restart_requested']),
  run_id: z.string(),
  job_id: z.string(),
  lifecycle: Lifecycle,
  request_id: z.string(),
});
export type ProcessActionResult = z.infer<typeof ProcessActionResult>;

export const IncidentAllowed = z.object({
  incident_id: z.string(),
  /** The signatures now allowed (those the incident taught or confirmed). */
  signatures: z.array(Signature),
  request_id: z.string(),
});
export type IncidentAllowed = z.infer<typeof IncidentAllowed>;

export const RequestTrace = z.object({ request_id: z.string(), count: z.number().int(), events: z.array(TimelineEvent) });

/** A file of an evidence bundle: a plain lower-case name, so whoever writes it cannot be sent outside the folder. */
export const EVIDENCE_FILE_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const EvidenceFile = z.object({
  name: z.string().regex(EVIDENCE_FILE_NAME, 'a plain lower-case file name'),
  /** The file's exact text (UTF-8 JSON); written as is, its bytes match the manifest. */
  content: z.string(),
  sha256: z.string(),
  bytes: z.number().int(),
});
export const EvidenceBundle = z.object({
  incident_id: z.string(),
  algorithm: z.enum(['ed25519', 'hmac-sha256']),
  key_id: z.string(),
  /** The evidence files, then manifest.json and signature.json. */
  files: z.array(EvidenceFile),
});
export type EvidenceBundle = z.infer<typeof EvidenceBundle>;

export const ReplayHistoryPoint = z.object({
  /** UTC day, YYYY-MM-DD. */
  day: z.string(),
  /** Answers replayed for a repeated Idempotency-Key. */
  replay_events: z.number().int(),
  /** Keys reused with a different request (409). */
  conflict_events: z.number().int(),
});
export const ReplayHistory = z.object({
  days: z.number().int(),
  replay_events: z.number().int(),
  conflict_events: z.number().int(),
  /** One point per day, oldest first; days without replays are 0. */
  points: z.array(ReplayHistoryPoint),
});
export type ReplayHistory = z.infer<typeof ReplayHistory>;

export const WorkspaceResult = z.object({ workspace: Workspace });
export const WorkspaceRegistered = z.object({ workspace: Workspace, created: z.boolean() });
export const WorkspaceUnregistered = z.object({ workspace_id: z.string(), unregistered: z.literal(true) });
export const WorkspaceStatus = z.object({ workspace: Workspace, active_runs: z.array(Run) });
export type WorkspaceStatus = z.infer<typeof WorkspaceStatus>;
export const LatestIncident = z.object({ incident: Incident });
export const WorkspaceActionResult = ProcessActionResult.extend({ workspace_id: z.string(), action: z.enum(['kill', 'restart']) });
export type WorkspaceActionResult = z.infer<typeof WorkspaceActionResult>;

/** What `GET /v1/stream` sends: `event:` name → the JSON in `data:`. */
/**
 * An `output` event: bytes [offset, end) of the run's output, redacted.
 * `skipped`: the job printed faster than the stream follows and those bytes
 * were left out; `text` is a note saying so (GET /v1/runs/{id}/output?after= has them while they are kept).
 */
export const StreamOutput = z.object({
  run_id: z.string(),
  stream: OutputStream,
  text: z.string(),
  offset: ByteOffset,
  end: ByteOffset,
  skipped: z.boolean(),
});
export type StreamOutput = z.infer<typeof StreamOutput>;
export const STREAM_EVENTS = ['run', 'decision', 'incident', 'lifecycle', 'audit', 'sample', 'output'] as const;
