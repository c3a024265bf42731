// Effective settings of a run: profile defaults < config file < explicit flags.
// Every value is validated (zod schemas built from one table of rules, so the
// schema, the error messages and the docs agree), and a bad key or value gives
// a message a person can act on:
//   config file x.yaml: unknown key 'max_cpu' (did you mean 'maxCpu'?)
//   --max-cpu must be a number between 1 and 6400 (got 'lots')
import { resolve } from 'node:path';
import type { DetectionThresholds } from '../detect/types';
import { PROFILE_NAMES, ROLLOUT_MODES, RUNAWAY_ACTIONS } from '../shared/protocol/choices';
import type { ProfileName, RolloutMode, RunawayAction } from '../shared/protocol/domain';
import { AGENT_TELEMETRY_BY_DEFAULT, profileThresholds } from './profiles';
import { DEFAULT_RESTART } from './restart';
import type { EffectiveSettings, NumberInput, PolicyOverrides, RestartSettings } from './types';

export class SettingsError extends Error {
  override name = 'SettingsError';
}

// ------------------------------------------------------------------ value rules

export type ValueRule =
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
  toolLoopCalls: num(2, 1_000, { integer: true, nullable: true }),
  toolBlockAfter: num(1, 1_000, { integer: true, nullable: true }),
  toolStopAfter: num(1, 1_000, { integer: true, nullable: true }),
  maxCostUsd: num(0.01, 1_000_000, { nullable: true }),
  maxTokensPerMin: num(1, 1e12, { nullable: true }),
  maxBurnUsdPerHour: num(0.01, 1_000_000, { nullable: true }),
  costBudgetAlertS: num(1, 24 * 3600, { nullable: true }),
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
  profile: oneOf(PROFILE_NAMES),
  maxCpu: THRESHOLD_RULES.maxCpu,
  maxMemoryMb: THRESHOLD_RULES.maxMemoryMb,
  onRunaway: oneOf(RUNAWAY_ACTIONS),
  rollout: oneOf(ROLLOUT_MODES),
  canaryPercent: num(0, 100),
  shadowMode: bool,
  graceMs: ms(0, 600_000),
  sampleIntervalMs: ms(100, 60_000),
  agentTelemetry: bool,
  maxCostUsd: THRESHOLD_RULES.maxCostUsd,
  maxTokensPerMin: THRESHOLD_RULES.maxTokensPerMin,
  maxBurnUsdPerHour: THRESHOLD_RULES.maxBurnUsdPerHour,
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
  agentTelemetry: '--agent-telemetry',
  maxCostUsd: '--max-cost-usd',
  maxTokensPerMin: '--max-tokens-per-min',
  maxBurnUsdPerHour: '--max-burn-usd-per-hour',
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

export type ConfigValues = {
  profile?: ProfileName;
  maxCpu?: number;
  maxMemoryMb?: number | null;
  onRunaway?: RunawayAction;
  rollout?: RolloutMode;
  canaryPercent?: number;
  shadowMode?: boolean;
  graceMs?: number;
  sampleIntervalMs?: number;
  agentTelemetry?: boolean;
  maxCostUsd?: number | null;
  maxTokensPerMin?: number | null;
  maxBurnUsdPerHour?: number | null;
  thresholds?: Partial<DetectionThresholds>;
  restart?: Partial<RestartSettings>;
};

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

export const shown = (v: unknown): string => (typeof v === 'string' ? `'${v}'` : JSON.stringify(v) ?? String(v));

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
  const ok = rule.kind === 'boolean' ? typeof value === 'boolean' : typeof value === 'string' && rule.values.includes(value);
  if (!ok) throw fail();
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
    agentTelemetry: pick('agentTelemetry', o.agentTelemetry),
    maxCostUsd: pick('maxCostUsd', o.maxCostUsd),
    maxTokensPerMin: pick('maxTokensPerMin', o.maxTokensPerMin),
    maxBurnUsdPerHour: pick('maxBurnUsdPerHour', o.maxBurnUsdPerHour),
  };
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined)) as ConfigValues;
}

// ------------------------------------------------------------------ merge

const defined = <T extends object>(o: Partial<T> | undefined): Partial<T> =>
  Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;

/**
 * Profile defaults < config file < flags, with the config file's values
 * already read (`file`: loadConfigFile(overrides.configFile), or {} without
 * one). Most callers want resolveSettings (resolveSettings.ts), which reads
 * it; `flowforge run` reads it itself, on demand, because the YAML parser and
 * the schemas behind it are most of what it would otherwise load at start-up.
 * Throws SettingsError with a message a person can act on.
 */
export function resolveSettingsFrom(overrides: PolicyOverrides, file: ConfigValues): EffectiveSettings {
  const flags = flagValues(overrides);
  const profile = flags.profile ?? file.profile ?? 'standard';

  const detection: DetectionThresholds = {
    ...profileThresholds(profile),
    ...defined(file.thresholds),
    ...defined({ maxCpu: file.maxCpu, maxMemoryMb: file.maxMemoryMb, ...budgetsOf(file) }),
    ...defined({ maxCpu: flags.maxCpu, maxMemoryMb: flags.maxMemoryMb, ...budgetsOf(flags) }),
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
    agentTelemetry: agentTelemetryOf(flags.agentTelemetry ?? file.agentTelemetry, profile, detection),
  };
}

const budgetsOf = (v: ConfigValues) => ({ maxCostUsd: v.maxCostUsd, maxTokensPerMin: v.maxTokensPerMin, maxBurnUsdPerHour: v.maxBurnUsdPerHour });

/** Asked for, or the profile's default; a budget turns it on, since a budget cannot be kept without the agent's numbers. */
function agentTelemetryOf(asked: boolean | undefined, profile: ProfileName, th: DetectionThresholds): boolean {
  const budget = th.maxCostUsd !== null || th.maxTokensPerMin !== null;
  if (asked === false && budget) throw new SettingsError('--max-cost-usd and --max-tokens-per-min need agent telemetry; drop --no-agent-telemetry (or agentTelemetry: false)');
  return asked ?? (AGENT_TELEMETRY_BY_DEFAULT[profile] || budget);
}
