// What every agent's hook protocol is reduced to: one tool event in (what the
// agent is about to do, or what a tool call gave back), one piece of advice
// from the ladder, one answer out (stdout, stderr, exit code) in the agent's
// own documented shape. The per-agent modules (claudeHooks, geminiHooks,
// codexHooks) hold everything specific to one agent.
import { createHash } from 'node:crypto';
import { normalizeLine } from '../detect/normalize';

export const HOOK_AGENTS = ['claude', 'gemini', 'codex'] as const;
export type HookAgent = (typeof HOOK_AGENTS)[number];

/** Where in the agent's loop a hook fired. */
export type HookPhase = 'pre' | 'post' | 'stop' | 'other';

export interface ToolEvent {
  agent: HookAgent;
  phase: HookPhase;
  /** The agent's own event name (PreToolUse, BeforeTool, ...). */
  event: string;
  tool: string | null;
  /** A short hash of the tool's input: the same call gives the same key. */
  inputKey: string | null;
  /** A short, single-line preview of the input, for evidence (redacted before it is stored). */
  inputPreview: string | null;
  outcome: 'ok' | 'error' | null;
  /** The error text's template (numbers, ids and paths masked), so "the same failure" compares equal. */
  errorTemplate: string | null;
  /** A short hash of the tool's whole response: the same result gives the same key. */
  resultKey: string | null;
  /** True when the agent says it is already continuing because of a stop hook. */
  stopHookActive: boolean;
}

/** What the ladder wants the agent to hear now. */
export type LadderAdvice =
  | { step: 'none' }
  | { step: 'nudge'; message: string }
  | { step: 'block'; reason: string }
  | { step: 'stop'; reason: string };

export const NO_ADVICE: LadderAdvice = { step: 'none' };

export interface HookAnswer {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** The answer that lets the agent carry on, valid for every event of all three agents. */
export const ALLOW: HookAnswer = { exitCode: 0, stdout: '{}', stderr: '' };

export interface HookProtocol {
  agent: HookAgent;
  /** Parses the hook's stdin; a bad input is an error message, never an exception. */
  parse(raw: string): { ok: true; event: ToolEvent } | { ok: false; error: string };
  answer(event: ToolEvent, advice: LadderAdvice): HookAnswer;
}

export const json = (value: unknown): HookAnswer => ({ exitCode: 0, stdout: JSON.stringify(value), stderr: '' });

/**
 * A hook's stdin as every agent sends it: the fields FlowForge reads, typed;
 * any other field is kept and ignored (agents add fields often).
 */
export interface HookInput {
  hook_event_name: string;
  session_id?: string;
  cwd?: string;
  tool_name?: string;
  tool_input?: unknown;
  tool_response?: unknown;
  error?: unknown;
  stop_hook_active?: boolean;
  [field: string]: unknown;
}

/**
 * The fields that have a type, in the order they are checked (the first
 * problem is the one reported). Checked by hand rather than with a schema
 * library: `flowforge hook` runs on every tool call an agent makes, and so
 * does this module in `flowforge run`'s start-up; neither should load one.
 */
const TYPED_FIELDS: readonly [field: string, type: 'string' | 'boolean', required: boolean][] = [
  ['hook_event_name', 'string', true],
  ['session_id', 'string', false],
  ['cwd', 'string', false],
  ['tool_name', 'string', false],
  ['stop_hook_active', 'boolean', false],
];

const kindOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
const invalid = (expected: string, v: unknown) => `Invalid input: expected ${expected}, received ${kindOf(v)}`;

/** The problem with a parsed hook input, as `field: what is wrong`; null when it is usable. */
function hookInputProblem(data: unknown): string | null {
  if (kindOf(data) !== 'object') return invalid('object', data);
  const o = data as Record<string, unknown>;
  for (const [field, type, required] of TYPED_FIELDS) {
    const v = o[field];
    if (v === undefined && !required) continue;
    if (typeof v !== type) return `${field}: ${invalid(type, v)}`;
  }
  return null;
}

/** Parses a hook's stdin, with one readable line on failure. */
export function parseHookInput(raw: string, agent: HookAgent): { ok: true; value: HookInput } | { ok: false; error: string } {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch (err) {
    return { ok: false, error: `${agent} hook input is not JSON (${(err as Error).message})` };
  }
  const problem = hookInputProblem(data);
  return problem === null ? { ok: true, value: data as HookInput } : { ok: false, error: `${agent} hook input: ${problem}` };
}

/** JSON with sorted keys, so that the same input hashes the same however the agent ordered it. */
function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

const shortHash = (...parts: string[]): string => createHash('sha256').update(parts.join('\0')).digest('base64url').slice(0, 16);

export const inputKey = (tool: string, input: unknown): string => shortHash(tool, stableJson(input));

const PREVIEW_CHARS = 160;

export function inputPreview(tool: string, input: unknown): string {
  const o = input && typeof input === 'object' ? (input as Record<string, unknown>) : null;
  // The field that names what the call does, when the tool has one (Bash: command; file tools: a path).
  const main = o ? (o.command ?? o.file_path ?? o.path ?? o.absolute_path ?? o.pattern ?? o.url) : input;
  const text = typeof main === 'string' ? main : stableJson(input);
  const one = text.replace(/\s+/g, ' ').trim();
  return `${tool}: ${one.length > PREVIEW_CHARS ? `${one.slice(0, PREVIEW_CHARS - 1)}…` : one}`;
}

/**
 * Whether a tool's response reports a failure, and its text. Agents shape
 * responses per tool; these are the fields their tools use for failures
 * (error, is_error, success: false, a non-zero exit code, stderr beside one).
 */
export function toolOutcome(response: unknown): { outcome: 'ok' | 'error'; errorText: string | null } {
  if (response === null || response === undefined) return { outcome: 'ok', errorText: null };
  if (typeof response === 'string') return /^(error|fatal)\b/i.test(response.trim()) ? { outcome: 'error', errorText: response } : { outcome: 'ok', errorText: null };
  if (typeof response !== 'object') return { outcome: 'ok', errorText: null };
  const r = response as Record<string, unknown>;
  const code = r.exit_code ?? r.exitCode;
  const text = (v: unknown): string | null => (typeof v === 'string' && v.trim() ? v : v && typeof v === 'object' && typeof (v as { message?: unknown }).message === 'string' ? (v as { message: string }).message : null);
  if (r.error) return { outcome: 'error', errorText: text(r.error) ?? 'error' };
  if (r.is_error === true || r.isError === true || r.success === false || (typeof code === 'number' && code !== 0)) {
    return { outcome: 'error', errorText: text(r.stderr) ?? text(r.output) ?? text(r.content) ?? text(r.stdout) ?? `exit code ${String(code)}` };
  }
  return { outcome: 'ok', errorText: null };
}

const TEMPLATE_CHARS = 200;

/** The template of an error text: its first non-empty line with values masked. */
export function errorTemplate(text: string | null): string | null {
  if (text === null) return null;
  const line = text.split('\n').find((l) => l.trim()) ?? '';
  return normalizeLine(line.slice(0, 1000)).slice(0, TEMPLATE_CHARS);
}

/** Turning a tool call into an event. */
export function toolEvent(agent: HookAgent, phase: HookPhase, event: string, tool: string | null, input: unknown, response?: unknown): ToolEvent {
  const post = phase === 'post' ? toolOutcome(response) : null;
  return {
    agent,
    phase,
    event,
    tool,
    inputKey: tool === null ? null : inputKey(tool, input),
    inputPreview: tool === null ? null : inputPreview(tool, input),
    outcome: post?.outcome ?? null,
    errorTemplate: post ? errorTemplate(post.errorText) : null,
    resultKey: post ? shortHash(stableJson(response ?? null)) : null,
    stopHookActive: false,
  };
}

/** What differs between agents: event names and the JSON shapes of a block and a nudge. */
export interface ProtocolSpec {
  agent: HookAgent;
  /** The event before a tool runs (where a call can be blocked). */
  pre: string;
  /** Events after a tool ran (where a nudge rides along with the result). */
  post: readonly string[];
  /** Events at the end of the agent's turn. */
  stop: readonly string[];
  /** The tool's response as toolOutcome reads it (default: tool_response). */
  response?(input: HookInput): unknown;
  /** Output fields that refuse the call about to run, with the reason the model sees. */
  deny(reason: string): Record<string, unknown>;
  /** Output fields that add a message to what the model reads after a tool call. */
  nudge(event: string, message: string): Record<string, unknown>;
}

/**
 * A protocol from its spec. Every answer is exit 0 with JSON (all three agents
 * parse it); a stop is `continue: false` + `stopReason`, which all three honour.
 */
export function hookProtocol(spec: ProtocolSpec): HookProtocol {
  const post = new Set(spec.post);
  const stop = new Set(spec.stop);
  return {
    agent: spec.agent,
    parse(raw) {
      const res = parseHookInput(raw, spec.agent);
      if (!res.ok) return res;
      const v = res.value;
      const name = v.hook_event_name;
      if (name === spec.pre || post.has(name)) {
        if (!v.tool_name) return { ok: false, error: `${spec.agent} hook input: ${name} without tool_name` };
        const response = spec.response ? spec.response(v) : v.tool_response;
        return { ok: true, event: toolEvent(spec.agent, name === spec.pre ? 'pre' : 'post', name, v.tool_name, v.tool_input ?? {}, response) };
      }
      const event = toolEvent(spec.agent, stop.has(name) ? 'stop' : 'other', name, null, null);
      event.stopHookActive = v.stop_hook_active === true;
      return { ok: true, event };
    },
    answer(ev, advice) {
      const pre = ev.event === spec.pre;
      switch (advice.step) {
        case 'stop':
          return json({ continue: false, stopReason: advice.reason, ...(pre ? spec.deny(advice.reason) : {}) });
        case 'block':
          return pre ? json(spec.deny(advice.reason)) : ALLOW;
        case 'nudge':
          return post.has(ev.event) ? json(spec.nudge(ev.event, advice.message)) : ALLOW;
        case 'none':
          return ALLOW;
      }
    },
  };
}
