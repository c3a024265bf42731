// Effective settings of a run: profile defaults < config file < explicit flags.
// Every value is validated (zod schemas built from one table of rules, so the
// schema, the error messages and the docs agree), and a bad key or value gives
// a message a person can act on:
//   config file x.yaml: unknown key 'max_cpu' (did you mean 'maxCpu'?)
//   --max-cpu must be a number between 1 and 6400 (got 'lots')
import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import type { DetectionThresholds } from '../detect/types';
import { ProfileName, RolloutMode, RunawayAction } from '../shared/protocol/domain';
import { profileThresholds } from './profiles';
import { DEFAULT_RESTART } from './restart';
import type { EffectiveSettings, NumberInput, PolicyOverrides, RestartSettings } from './types';

export class SettingsError extends Error {
  override name = 'SettingsError';
}

// ------------------------------------------------------------------ value rules

type ValueRule =
  | { kind: 'number'; min: number; max: number; integer?: boolean; nullable?: boolean }
  | { kind: 'boolean' }
  | { kind: 'enum'; values: readonly string[] };

const num = (min: number, max: number, extra: { integer?: boolean; nullable?: boolean } = {}): ValueRule => ({
  kind: 'number',
  min,
  max,
  ...extra,
});
const ms = (min: number, max: number, nullable = false): ValueRule => num(min, max, { integer: true, nullable });
const bool: ValueRule = { kind: 'boolean' };
const oneOf = (values: readonly string[]): ValueRule => ({ kind: 'enum', values });

const HOUR = 3_600_000;

export const THRESHOLD_RULES: Record<keyof DetectionThresholds, ValueRule> = {
  maxCpu: num(1, 6400),
  cpuWindowMs: ms(1_000, 10 * 60_000),
  recentWindowMs: ms(1_000, 60_000),
  progressWindowMs: ms(2_000, 10 * 60_000),
  counterIsProgress: bool,
  repetition: num(0.05, 1),
  maxNovelty: num(0, 1),
  maxProgress: num(0.05, 1),
  loopMinRate: num(0, 1_000_000),
  floodRate: num(1, 100_000_000),
  loopAlertMs: ms(0, 24 * HOUR),
  loopKillMs: ms(0, 24 * HOUR, true),
  outputLoopRate: num(0, 1_000_000),
  outputLoopAlertMs: ms(0, 24 * HOUR),
  outputLoopKillMs: ms(0, 24 * HOUR, true),
  silentSpinAlertMs: ms(0, 24 * HOUR),
  silentSpinKillMs: ms(0, 24 * HOUR, true),
  maxMemoryMb: num(1, 16 * 1024 * 1024, { nullable: true }),
  memoryWindowMs: ms(3_000, HOUR),
  memoryClimbMbPerS: num(0.01, 1_000_000),
  memoryClimbFloorMb: num(0, 16 * 1024 * 1024),
  memoryClimbAlertMs: ms(0, 24 * HOUR),
  maxProcs: num(1, 1_000_000, { integer: true }),
  treeWindowMs: ms(1_000, HOUR),
  churnPerS: num(0.01, 1_000_000),
  churnAlertMs: ms(0, 24 * HOUR),
  ioProgressBytesPerS: num(0, 1e12),
  memoryExhaustS: num(1, 24 * 3600, { nullable: true }),
  memoryExhaustFloorMb: num(0, 16 * 1024 * 1024),
  memoryExhaustKillMs: ms(0, HOUR),
  stormRate: num(0, 1_000_000),
  forkStormPerS: num(0.01, 1_000_000),
  alertConfidence: num(0.5, 1),
  killConfidence: num(0.5, 1),
  maxLineBytes: num(64, 1_048_576, { integer: true }),
  partialLineMs: ms(10, 60_000),
  maxTemplates: num(16, 1_000_000, { integer: true }),
};

export const RESTART_RULES: Record<keyof RestartSettings, ValueRule> = {
  initialDelayMs: ms(0, HOUR),
  factor: num(1, 10),
  maxDelayMs: ms(0, 24 * HOUR),
  resetAfterMs: ms(0, 24 * HOUR),
  budget: num(0, 10_000, { integer: true }),
  budgetWindowMs: ms(1_000, 24 * HOUR),
};

/** Top-level keys of a config file (the flags' names in camelCase). */
export const TOP_RULES = {
  profile: oneOf(ProfileName.options),
  maxCpu: THRESHOLD_RULES.maxCpu,
  maxMemoryMb: THRESHOLD_RULES.maxMemoryMb,
  onRunaway: oneOf(RunawayAction.options),
  rollout: oneOf(RolloutMode.options),
  canaryPercent: num(0, 100),
  shadowMode: bool,
  graceMs: ms(0, 600_000),
  sampleIntervalMs: ms(100, 60_000),
} satisfies Record<string, ValueRule>;

/** How each overridable key is spelled on the command line. */
const FLAG_NAMES: Record<keyof typeof TOP_RULES, string> = {
  profile: '--profile',
  maxCpu: '--max-cpu',
  maxMemoryMb: '--max-memory-mb',
  onRunaway: '--on-runaway',
  rollout: '--policy-rollout',
  canaryPercent: '--policy-canary-percent',
  shadowMode: '--shadow-mode',
  graceMs: '--grace-ms',
  sampleIntervalMs: '--sample-interval-ms',
};

/** What a valid value looks like, for messages and docs: "a number between 1 and 6400". */
export function expectation(rule: ValueRule): string {
  switch (rule.kind) {
    case 'boolean':
      return 'true or false';
    case 'enum':
      return `one of ${rule.values.map((v) => `'${v}'`).join(', ')}`;
    case 'number': {
      const what = rule.integer ? 'a whole number' : 'a number';
      return `${what} between ${rule.min} and ${rule.max}${rule.nullable ? ' (or null for none)' : ''}`;
    }
  }
}

function schemaOf(rule: ValueRule): z.ZodType {
  switch (rule.kind) {
    case 'boolean':
      return z.boolean();
    case 'enum':
      return z.enum(rule.values as [string, ...string[]]);
    case 'number': {
      let s = z.number().min(rule.min).max(rule.max);
      if (rule.integer) s = s.int();
      return rule.nullable ? s.nullable() : s;
    }
  }
}

const shapeOf = <K extends string>(rules: Record<K, ValueRule>) =>
  z.object(Object.fromEntries(Object.entries<ValueRule>(rules).map(([k, r]) => [k, schemaOf(r).optional()]))).strict();

const ConfigFile = shapeOf(TOP_RULES).extend({
  thresholds: shapeOf(THRESHOLD_RULES).optional(),
  restart: shapeOf(RESTART_RULES).optional(),
});

type ConfigValues = {
  profile?: ProfileName;
  maxCpu?: number;
  maxMemoryMb?: number | null;
  onRunaway?: RunawayAction;
  rollout?: RolloutMode;
  canaryPercent?: number;
  shadowMode?: boolean;
  graceMs?: number;
  sampleIntervalMs?: number;
  thresholds?: Partial<DetectionThresholds>;
  restart?: Partial<RestartSettings>;
};

// ------------------------------------------------------------------ config file

function ruleAt(path: PropertyKey[]): ValueRule | null {
  const [a, b] = path.map(String);
  if (a === 'thresholds' && b) return THRESHOLD_RULES[b as keyof DetectionThresholds] ?? null;
  if (a === 'restart' && b) return RESTART_RULES[b as keyof RestartSettings] ?? null;
  return (TOP_RULES as Record<string, ValueRule>)[a ?? ''] ?? null;
}

function knownKeysAt(path: PropertyKey[]): string[] {
  if (path[0] === 'thresholds') return Object.keys(THRESHOLD_RULES);
  if (path[0] === 'restart') return Object.keys(RESTART_RULES);
  return [...Object.keys(TOP_RULES), 'thresholds', 'restart'];
}

const squash = (s: string): string => s.toLowerCase().replace(/[-_\s]/g, '');

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/** The known key a mistyped one most likely meant, if any is close. */
export function didYouMean(key: string, known: string[]): string | null {
  let best: { k: string; d: number } | null = null;
  for (const k of known) {
    const d = levenshtein(squash(key), squash(k));
    if (!best || d < best.d) best = { k, d };
  }
  return best && best.d <= Math.max(1, Math.floor(best.k.length / 4)) ? best.k : null;
}

const shown = (v: unknown): string => (typeof v === 'string' ? `'${v}'` : JSON.stringify(v) ?? String(v));

function valueAt(root: unknown, path: PropertyKey[]): unknown {
  let v = root;
  for (const p of path) v = v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[p] : undefined;
  return v;
}

/** One zod issue, in words a person can act on. */
function describeIssue(issue: z.core.$ZodIssue, root: unknown): string[] {
  const prefix = issue.path.length ? `${issue.path.map(String).join('.')}.` : '';
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((k) => {
      const guess = didYouMean(k, knownKeysAt(issue.path));
      return `unknown key '${prefix}${k}'${guess ? ` (did you mean '${prefix}${guess}'?)` : ''}`;
    });
  }
  const rule = ruleAt(issue.path);
  const key = issue.path.map(String).join('.');
  if (!rule) return [`'${key}' ${issue.message}`];
  return [`'${key}' must be ${expectation(rule)} (got ${shown(valueAt(root, issue.path))})`];
}

function parseFileText(path: string, text: string): unknown {
  const ext = extname(path).toLowerCase();
  if (ext === '.json') {
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new SettingsError(`config file ${path}: not valid JSON: ${(e as Error).message}`);
    }
  }
  if (ext === '.yaml' || ext === '.yml') {
    try {
      return YAML.parse(text) ?? {};
    } catch (e) {
      throw new SettingsError(`config file ${path}: not valid YAML: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  throw new SettingsError(`config file ${path}: unknown format '${ext || '(none)'}'; use a .yaml, .yml or .json file`);
}

/** Reads and validates a config file; the values it sets, nothing else. */
export function loadConfigFile(path: string): ConfigValues {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new SettingsError(
      code === 'ENOENT' ? `config file ${path}: not found` : `config file ${path}: cannot be read (${code ?? (e as Error).message})`,
    );
  }
  return validateConfig(parseFileText(path, text), `config file ${path}`);
}

/** Validates config values (from a file or an API body); `where` starts the error message. */
export function validateConfig(raw: unknown, where: string): ConfigValues {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new SettingsError(`${where}: expected a mapping of settings (for example "profile: strict"), got ${Array.isArray(raw) ? 'a list' : shown(raw)}`);
  }
  const parsed = ConfigFile.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.flatMap((i) => describeIssue(i, raw));
    throw new SettingsError(`${where}: ${problems.join('; ')}`);
  }
  return parsed.data as ConfigValues;
}

// ------------------------------------------------------------------ flags

/** A flag's value, checked against its rule; strings are parsed here so that messages quote what was typed. */
function flagValue<K extends keyof typeof TOP_RULES>(key: K, value: unknown): unknown {
  if (value === undefined) return undefined;
  const rule: ValueRule = TOP_RULES[key];
  const fail = () => new SettingsError(`${FLAG_NAMES[key]} must be ${expectation(rule)} (got ${shown(value)})`);
  if (rule.kind === 'number') {
    const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isFinite(n) || n < rule.min || n > rule.max || (rule.integer && !Number.isInteger(n))) throw fail();
    return n;
  }
  if (!schemaOf(rule).safeParse(value).success) throw fail();
  return value;
}

function flagValues(o: PolicyOverrides): ConfigValues {
  const pick = <K extends keyof typeof TOP_RULES>(k: K, v: NumberInput | string | boolean | undefined) => flagValue(k, v);
  const out: Record<string, unknown> = {
    profile: pick('profile', o.profile),
    maxCpu: pick('maxCpu', o.maxCpu),
    maxMemoryMb: pick('maxMemoryMb', o.maxMemoryMb),
    onRunaway: pick('onRunaway', o.onRunaway),
    rollout: pick('rollout', o.rollout),
    canaryPercent: pick('canaryPercent', o.canaryPercent),
    shadowMode: pick('shadowMode', o.shadowMode),
    graceMs: pick('graceMs', o.graceMs),
    sampleIntervalMs: pick('sampleIntervalMs', o.sampleIntervalMs),
  };
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined)) as ConfigValues;
}

// ------------------------------------------------------------------ merge

const defined = <T extends object>(o: Partial<T> | undefined): Partial<T> =>
  Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;

/** Profile defaults < config file < flags. Throws SettingsError with a message a person can act on. */
export function resolveSettings(overrides: PolicyOverrides = {}): EffectiveSettings {
  const flags = flagValues(overrides);
  const file = overrides.configFile ? loadConfigFile(overrides.configFile) : {};
  const profile = flags.profile ?? file.profile ?? 'standard';

  const detection: DetectionThresholds = {
    ...profileThresholds(profile),
    ...defined(file.thresholds),
    ...defined({ maxCpu: file.maxCpu, maxMemoryMb: file.maxMemoryMb }),
    ...defined({ maxCpu: flags.maxCpu, maxMemoryMb: flags.maxMemoryMb }),
  };
  if (detection.killConfidence < detection.alertConfidence) {
    throw new SettingsError(
      `thresholds: killConfidence (${detection.killConfidence}) must not be below alertConfidence (${detection.alertConfidence})`,
    );
  }

  let mode = flags.rollout ?? file.rollout ?? 'enforce';
  const shadowMode = flags.shadowMode ?? file.shadowMode ?? false;
  if (shadowMode && mode === 'enforce') mode = 'shadow';
  const canaryPercent = flags.canaryPercent ?? file.canaryPercent ?? (mode === 'canary' ? 10 : 0);

  return {
    profile,
    detection,
    onRunaway: flags.onRunaway ?? file.onRunaway ?? 'kill',
    rollout: { mode, canaryPercent },
    graceMs: flags.graceMs ?? file.graceMs ?? 3_000,
    sampleIntervalMs: flags.sampleIntervalMs ?? file.sampleIntervalMs ?? 1_000,
    restart: { ...DEFAULT_RESTART, ...defined(file.restart) },
    configFile: overrides.configFile ? resolve(overrides.configFile) : null,
  };
}
