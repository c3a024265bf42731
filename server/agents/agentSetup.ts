// `flowforge agent setup <claude|gemini|codex> [--user|--project] [--print]`:
// adds FlowForge's hook to an agent's settings, beside whatever hooks are
// already there (never replacing one), and does nothing the second time.
// Each agent's file and event names are its documented ones:
//   Claude Code  .claude/settings.json  (~/.claude/settings.json)  PreToolUse, PostToolUse, PostToolUseFailure, Stop
//   Gemini CLI   .gemini/settings.json  (~/.gemini/settings.json)  BeforeTool, AfterTool, AfterAgent
//   Codex        .codex/hooks.json      (~/.codex/hooks.json)      PreToolUse, PostToolUse, Stop
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parse, UsageError } from '../util/args';
import { HOOK_AGENTS, type HookAgent } from './hookTypes';

interface AgentConfig {
  file: string;
  events: string[];
  /** One hook group for an event (the agent's matcher and timeout conventions). */
  group(event: string, command: string): Record<string, unknown>;
}

const CONFIGS: Record<HookAgent, AgentConfig> = {
  claude: {
    file: '.claude/settings.json',
    events: ['PreToolUse', 'PostToolUse', 'PostToolUseFailure', 'Stop'],
    // Claude's timeout is in seconds; Stop takes no matcher.
    group: (event, command) => ({ ...(event === 'Stop' ? {} : { matcher: '*' }), hooks: [{ type: 'command', command, timeout: 10 }] }),
  },
  gemini: {
    file: '.gemini/settings.json',
    events: ['BeforeTool', 'AfterTool', 'AfterAgent'],
    // Gemini's matcher is a regular expression for tool events; its timeout is in milliseconds.
    group: (event, command) => ({
      ...(event === 'AfterAgent' ? {} : { matcher: '.*' }),
      hooks: [{ type: 'command', name: 'flowforge', command, timeout: 10_000, description: 'FlowForge: tool-call loop nudges' }],
    }),
  },
  codex: {
    file: '.codex/hooks.json',
    events: ['PreToolUse', 'PostToolUse', 'Stop'],
    // Codex: no matcher matches every tool; timeout in seconds.
    group: (_event, command) => ({ hooks: [{ type: 'command', command, timeout: 10 }] }),
  },
};

/** The shell fast path beside the bundle (dist/flowforge-hook), or `flowforge hook` when it is missing. */
export function defaultHookCommand(agent: HookAgent, here = __dirname): string {
  for (const p of [join(here, 'flowforge-hook'), resolve(here, '../../dist/flowforge-hook')]) {
    if (existsSync(p)) return `'${p.replace(/'/g, `'\\''`)}' ${agent}`;
  }
  return `flowforge hook ${agent}`;
}

const isOurs = (hook: unknown): boolean => {
  const cmd = (hook as { command?: unknown } | null)?.command;
  return typeof cmd === 'string' && /flowforge[- ]hook\b/.test(cmd);
};

export interface SetupResult {
  path: string;
  added: string[];
  present: string[];
  config: Record<string, unknown>;
}

/** Merges FlowForge's hook groups into a settings object (a copy); events already holding one are left alone. */
export function mergeHooks(agent: HookAgent, existing: Record<string, unknown>, command: string): Omit<SetupResult, 'path'> {
  const cfg = CONFIGS[agent];
  const config = structuredClone(existing);
  const hooksValue = config.hooks ?? {};
  if (typeof hooksValue !== 'object' || Array.isArray(hooksValue)) throw new UsageError(`"hooks" is not an object; fix it by hand, FlowForge will not overwrite it`);
  const hooks = hooksValue as Record<string, unknown>;
  config.hooks = hooks;
  const added: string[] = [];
  const present: string[] = [];
  for (const event of cfg.events) {
    const groups = hooks[event] ?? [];
    if (!Array.isArray(groups)) throw new UsageError(`"hooks.${event}" is not a list; fix it by hand, FlowForge will not overwrite it`);
    if (groups.some((g) => Array.isArray((g as { hooks?: unknown })?.hooks) && (g as { hooks: unknown[] }).hooks.some(isOurs))) {
      present.push(event);
      continue;
    }
    hooks[event] = [...groups, cfg.group(event, command)];
    added.push(event);
  }
  return { added, present, config };
}

function readSettings(path: string): Record<string, unknown> {
  if (!existsSync(path)) return {};
  const text = readFileSync(path, 'utf8');
  if (!text.trim()) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${path} is not valid JSON (${(err as Error).message}); fix it first, FlowForge will not overwrite it`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new UsageError(`${path} does not hold a JSON object; FlowForge will not overwrite it`);
  return value as Record<string, unknown>;
}

export function setupAgent(agent: HookAgent, opts: { scope: 'project' | 'user'; cwd: string; home: string; command: string; write: boolean }): SetupResult {
  const path = join(opts.scope === 'user' ? opts.home : opts.cwd, CONFIGS[agent].file);
  const merged = mergeHooks(agent, readSettings(path), opts.command);
  if (opts.write && merged.added.length > 0) {
    mkdirSync(dirname(path), { recursive: true });
    const tmp = `${path}.flowforge-${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(merged.config, null, 2) + '\n');
    renameSync(tmp, path);
  }
  return { path, ...merged };
}

const USAGE = `Usage: flowforge agent setup <claude|gemini|codex> [--project | --user] [--print] [--command CMD]
  --project   this folder's settings (default)
  --user      your user settings (~/.claude, ~/.gemini, ~/.codex)
  --print     show the resulting settings instead of writing them
  --command   the hook command to write (default: FlowForge's fast hook launcher)`;

export async function agentCommand(argv: string[]): Promise<number> {
  const { values, rest } = parse(argv, {
    project: { type: 'boolean' },
    user: { type: 'boolean' },
    print: { type: 'boolean' },
    command: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const [verb, agentName] = rest;
  if (verb !== 'setup' || !agentName) throw new UsageError(USAGE);
  if (!(HOOK_AGENTS as readonly string[]).includes(agentName)) throw new UsageError(`unknown agent '${agentName}'; choose claude, gemini or codex`);
  if (values.user && values.project) throw new UsageError('choose one of --user and --project');
  const agent = agentName as HookAgent;
  const command = typeof values.command === 'string' ? values.command : defaultHookCommand(agent);
  const res = setupAgent(agent, { scope: values.user ? 'user' : 'project', cwd: process.cwd(), home: homedir(), command, write: !values.print });
  if (values.print) {
    process.stdout.write(`${res.path}:\n${JSON.stringify(res.config, null, 2)}\n`);
    return 0;
  }
  if (res.added.length === 0) process.stdout.write(`${res.path}: FlowForge's hook is already there (${res.present.join(', ')}); nothing changed.\n`);
  else process.stdout.write(`${res.path}: added FlowForge's hook for ${res.added.join(', ')}${res.present.length ? ` (already there: ${res.present.join(', ')})` : ''}.\n`);
  if (agent === 'codex') process.stdout.write('Codex runs hooks it does not manage only after you review and trust them: open Codex and accept the new hooks.\n');
  return 0;
}
