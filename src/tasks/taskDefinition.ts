// The `flowforge` task type: what a tasks.json entry may say, checked when the
// task runs (the manifest's JSON schema only helps the editor), with messages
// that name the field, what was expected and what was given; and how a valid
// entry becomes a POST /v1/runs body.
import { homedir } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import type { StartRunBody } from '../../server/shared/protocol/api';
import { ProfileName, RolloutMode, RunawayAction } from '../../server/shared/protocol/domain';
import type { FolderSettings } from '../config';

export const TASK_TYPE = 'flowforge';

/** Each property: its schema and, for messages, what it expects in words. */
export const TASK_FIELDS = {
  command: { schema: z.string().trim().min(1), expected: 'the program to run, or a whole command line with "shell": true (a non-empty string)' },
  args: { schema: z.array(z.string()), expected: 'the arguments, as an array of strings' },
  shell: { schema: z.boolean(), expected: 'true to run "command" through your shell, false to run the program directly' },
  cwd: { schema: z.string().min(1), expected: 'the working directory, absolute or relative to the folder (a string)' },
  env: { schema: z.record(z.string(), z.string()), expected: 'extra environment variables, an object of strings such as {"DEBUG": "1"}' },
  profile: { schema: ProfileName, expected: `one of ${quoteAll(ProfileName.options)}` },
  maxCpu: { schema: z.number().min(1).max(6400), expected: 'a number from 1 to 6400: percent of one core, summed over the process tree' },
  maxMemoryMb: { schema: z.number().min(1).max(16 * 1024 * 1024), expected: 'a number of megabytes (at least 1): the memory limit of the process tree' },
  maxCostUsd: { schema: z.number().min(0.01).max(1_000_000), expected: 'a number of US dollars (at least 0.01): stop the agent when it reports this much cost' },
  maxTokensPerMin: { schema: z.number().min(1).max(1e12), expected: 'a number of tokens (at least 1): stop the agent when it reports this many within a minute' },
  onRunaway: { schema: RunawayAction, expected: `one of ${quoteAll(RunawayAction.options)}` },
  rollout: { schema: RolloutMode, expected: `one of ${quoteAll(RolloutMode.options)}` },
  canaryPercent: { schema: z.number().min(0).max(100), expected: 'a number from 0 to 100' },
  name: { schema: z.string().trim().min(1).max(200), expected: 'a name for the job, 1 to 200 characters' },
  graceMs: { schema: z.number().int().min(0).max(600_000), expected: 'whole milliseconds from 0 to 600000 between SIGTERM and SIGKILL' },
} as const;

type Fields = typeof TASK_FIELDS;
export type FlowforgeTaskDefinition = { type: typeof TASK_TYPE; command: string } & {
  [K in Exclude<keyof Fields, 'command'>]?: z.infer<Fields[K]['schema']>;
};

const shape = Object.fromEntries(
  Object.entries(TASK_FIELDS).map(([k, f]) => [k, k === 'command' ? f.schema : f.schema.optional()]),
) as { [K in keyof Fields]: Fields[K]['schema'] };
// Not strict: VS Code's own task properties (label, group, problemMatcher...) sit beside ours.
const DefinitionSchema = z.object(shape);

export type DefinitionCheck = { ok: true; value: FlowforgeTaskDefinition } | { ok: false; problems: string[] };

export function checkTaskDefinition(raw: unknown): DefinitionCheck {
  const parsed = DefinitionSchema.safeParse(raw);
  if (parsed.success) return { ok: true, value: { ...parsed.data, type: TASK_TYPE } as FlowforgeTaskDefinition };
  const problems = new Map<string, string>();
  for (const issue of parsed.error.issues) {
    const field = String(issue.path[0] ?? '');
    const where = issue.path.map(String).join('.');
    if (problems.has(where)) continue;
    const spec = TASK_FIELDS[field as keyof Fields];
    const given = valueAt(raw, issue.path);
    problems.set(
      where,
      given === undefined
        ? `"${where}" is missing. Expected ${spec?.expected ?? 'a value'}.`
        : `"${where}" is ${describe(given)}. Expected ${spec?.expected ?? issue.message}.`,
    );
  }
  return { ok: false, problems: [...problems.values()] };
}

const EXAMPLE = `{
  "label": "train (supervised)",
  "type": "flowforge",
  "command": "python3",
  "args": ["train.py", "--epochs", "10"],
  "maxCpu": 90,
  "onRunaway": "kill"
}`;

/** The text a broken task prints in its terminal (plain lines; the terminal adds colour). */
export function describeDefinitionProblems(taskName: string, problems: string[]): string[] {
  const count = problems.length === 1 ? 'a problem' : `${problems.length} problems`;
  return [
    `FlowForge cannot run the task "${taskName}": its "flowforge" entry in tasks.json has ${count}:`,
    '',
    ...problems.map((p) => `  • ${p}`),
    '',
    'Fix the entry in .vscode/tasks.json (the editor underlines the field too). A working example:',
    '',
    ...EXAMPLE.split('\n').map((l) => `  ${l}`),
  ];
}

export interface RunContext {
  /** The task's folder; undefined for a task of the whole workspace. */
  folderPath: string | undefined;
  workspaceId: string | undefined;
  settings: FolderSettings;
  taskName: string;
}

/** The POST /v1/runs body for a valid definition: the task's own values first, then the folder's settings. */
export function startRunBody(def: FlowforgeTaskDefinition, ctx: RunContext): z.input<typeof StartRunBody> {
  const base = ctx.folderPath ?? homedir();
  const onRunaway = def.onRunaway ?? ctx.settings.onRunaway;
  const rollout = def.rollout ?? ctx.settings.rollout;
  return {
    command: def.command,
    args: def.args ?? [],
    shell: def.shell ?? false,
    cwd: def.cwd ? (isAbsolute(def.cwd) ? def.cwd : resolve(base, def.cwd)) : base,
    ...(def.env ? { env: def.env } : {}),
    name: def.name ?? ctx.taskName,
    profile: def.profile ?? ctx.settings.profile,
    ...optional('max_cpu', def.maxCpu ?? ctx.settings.maxCpu),
    ...optional('max_memory_mb', def.maxMemoryMb ?? ctx.settings.maxMemoryMb),
    ...optional('max_cost_usd', def.maxCostUsd ?? ctx.settings.maxCostUsd),
    ...optional('max_tokens_per_min', def.maxTokensPerMin ?? ctx.settings.maxTokensPerMin),
    on_runaway: onRunaway,
    restartable: onRunaway === 'restart',
    rollout,
    ...(rollout === 'canary' ? { canary_percent: def.canaryPercent ?? ctx.settings.canaryPercent } : {}),
    ...optional('grace_ms', def.graceMs),
    ...(ctx.workspaceId ? { workspace_id: ctx.workspaceId } : {}),
  };
}

function optional<K extends string>(key: K, value: number | null | undefined): Partial<Record<K, number>> {
  return value === null || value === undefined ? {} : ({ [key]: value } as Record<K, number>);
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let v = raw;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

function describe(v: unknown): string {
  const kind = v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `a ${typeof v}`;
  const text = JSON.stringify(v) ?? String(v);
  return kind === 'null' ? 'null' : `${text.length > 60 ? `${text.slice(0, 57)}...` : text} (${kind})`;
}

function quoteAll(values: readonly string[]): string {
  return values.map((v) => `"${v}"`).join(', ');
}
