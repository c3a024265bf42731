// FlowForge's settings (`flowforge.*`), read through VS Code's configuration
// and checked again here: settings.json is edited by hand, and a wrong value
// must fall back to the default with a message, never reach the backend.
import { z } from 'zod';
import { ProfileName, RolloutMode, RunawayAction } from '../server/shared/protocol/domain';

/** What `vscode.workspace.getConfiguration('flowforge', scope)` offers; a plain object in tests. */
export interface ConfigReader {
  get<T>(key: string): T | undefined;
}

/** Per folder (resource scope): how the folder's jobs are judged and what a runaway earns. */
export interface FolderSettings {
  profile: ProfileName;
  protection: boolean;
  maxCpu: number | null;
  maxMemoryMb: number | null;
  /** Agent budgets (on what the agent's own telemetry reports); null: none. */
  maxCostUsd: number | null;
  maxTokensPerMin: number | null;
  onRunaway: RunawayAction;
  rollout: RolloutMode;
  canaryPercent: number;
}

export interface WindowSettings {
  /** 0 = any free port (machine scope). */
  apiPort: number;
  notifications: boolean;
  /** Base URL for FlowForge's own OTLP/HTTP export; '' = off unless the environment says otherwise (machine scope). */
  otlpEndpoint: string;
}

const nullableNumber = (min: number, max: number) => z.number().min(min).max(max).nullable();

/** key (under `flowforge.`) → schema and default; the manifest declares the same (a unit test compares them). */
export const FOLDER_SETTINGS = {
  profile: { key: 'profile', schema: ProfileName, fallback: 'standard' },
  protection: { key: 'protection.enabled', schema: z.boolean(), fallback: true },
  maxCpu: { key: 'maxCpu', schema: nullableNumber(1, 6400), fallback: null },
  maxMemoryMb: { key: 'maxMemoryMb', schema: nullableNumber(1, 16 * 1024 * 1024), fallback: null },
  maxCostUsd: { key: 'agent.maxCostUsd', schema: nullableNumber(0.01, 1_000_000), fallback: null },
  maxTokensPerMin: { key: 'agent.maxTokensPerMin', schema: nullableNumber(1, 1e12), fallback: null },
  onRunaway: { key: 'onRunaway', schema: RunawayAction, fallback: 'kill' },
  rollout: { key: 'rollout', schema: RolloutMode, fallback: 'enforce' },
  canaryPercent: { key: 'canaryPercent', schema: z.number().min(0).max(100), fallback: 10 },
} as const;

export const WINDOW_SETTINGS = {
  apiPort: { key: 'api.port', schema: z.number().int().min(0).max(65535), fallback: 0 },
  notifications: { key: 'notifications.enabled', schema: z.boolean(), fallback: true },
  otlpEndpoint: { key: 'telemetry.otlpEndpoint', schema: z.union([z.literal(''), z.string().regex(/^https?:\/\/\S+$/, 'an http:// or https:// URL')]), fallback: '' },
} as const;

type Table = Record<string, { key: string; schema: z.ZodType; fallback: unknown }>;
type Values<T extends Table> = { -readonly [K in keyof T]: z.infer<T[K]['schema']> };

function read<T extends Table>(table: T, cfg: ConfigReader, problems: string[]): Values<T> {
  const out: Record<string, unknown> = {};
  for (const [name, { key, schema, fallback }] of Object.entries(table)) {
    const raw = cfg.get<unknown>(key);
    const parsed = schema.safeParse(raw ?? fallback);
    if (parsed.success) out[name] = parsed.data;
    else {
      out[name] = fallback;
      problems.push(`setting flowforge.${key} has an invalid value ${JSON.stringify(raw)} (${parsed.error.issues[0]?.message ?? 'invalid'}); using ${JSON.stringify(fallback)}`);
    }
  }
  return out as Values<T>;
}

export function readFolderSettings(cfg: ConfigReader, problems: string[] = []): FolderSettings {
  return read(FOLDER_SETTINGS, cfg, problems);
}

export function readWindowSettings(cfg: ConfigReader, problems: string[] = []): WindowSettings {
  return read(WINDOW_SETTINGS, cfg, problems);
}

/** Every setting key (without the `flowforge.` prefix) the extension reads. */
export const SETTING_KEYS: readonly string[] = [...Object.values(FOLDER_SETTINGS), ...Object.values(WINDOW_SETTINGS)].map((s) => s.key);
