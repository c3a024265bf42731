// Reading and validating a config file (YAML or JSON) against the same rules
// as the flags (settings.ts), with messages a person can act on. Loaded only
// when a config file is given.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import type { DetectionThresholds } from '../detect/types';
import type { RestartSettings } from './types';
import { didYouMean, expectation, RESTART_RULES, SettingsError, shown, THRESHOLD_RULES, TOP_RULES, type ConfigValues, type ValueRule } from './settings';

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
