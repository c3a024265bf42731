// The contract between the policy and the engine that carries out its
// decisions. The policy is pure and stateful per run: it sees one
// SignalSnapshot per tick and answers with a Verdict.
import type { Action, ProfileName, RolloutMode, RuleResult, RunawayAction, SignalReading } from '../shared/protocol/domain';
import type { DetectionThresholds } from '../detect/types';
import type { HeldBy } from './rollout';

/** A number from a flag: as typed (a string, validated here) or already parsed. */
export type NumberInput = number | string;

/** What a person or a config file can set; everything optional (profile defaults fill the rest). */
export interface PolicyOverrides {
  profile?: ProfileName;
  maxCpu?: NumberInput;
  maxMemoryMb?: NumberInput;
  onRunaway?: RunawayAction;
  rollout?: RolloutMode;
  canaryPercent?: NumberInput;
  graceMs?: NumberInput;
  /** `--shadow-mode`: turns rollout 'enforce' into 'shadow' (an explicit canary stays canary). */
  shadowMode?: boolean;
  sampleIntervalMs?: NumberInput;
  /** Read the agent's own OpenTelemetry (token and cost counters) through a loopback receiver of this run. */
  agentTelemetry?: boolean;
  /** Budgets on what the agent reports: cost so far (USD), tokens within a minute, and the cost per hour that raises an alert. */
  maxCostUsd?: NumberInput;
  maxTokensPerMin?: NumberInput;
  maxBurnUsdPerHour?: NumberInput;
  /** Path of a YAML or JSON config file; its values sit below explicit flags. */
  configFile?: string;
}

export interface Verdict {
  /** What the engine must do now. */
  action: Action;
  /** What the rules asked for before the rollout mode had its say. */
  intended: Action;
  /** False when shadow/canary or the workspace's protection held a kill or restart back. */
  enforced: boolean;
  /** What held it back (null when enforced). */
  heldBy: HeldBy;
  canaryBucket: number | null;
  /** Whether this verdict should be stored as a decision (continue verdicts are sampled). */
  record: boolean;
  /**
   * Whether to tell a person now (print, notify). True when an episode opens, when it
   * escalates, on every kill/restart, and for a lasting alert at growing intervals.
   */
  notify: boolean;
  confidence: number;
  rules: RuleResult[];
  signals: SignalReading[];
  /** Plain-language explanation: which rule, for how long, the numbers. */
  reason: string;
  /** What the rules that fired saw, strongest first, in plain words (what `reason` is built from). */
  findings: { rule: string; title: string; text: string }[];
  templates: string[];
  evidence: string[];
  /**
   * Episode bookkeeping, so that one runaway episode gives one incident:
   * `open` on the first non-continue verdict, `update` while it lasts, `close` when signals are back to normal.
   */
  episode: { phase: 'open' | 'update' | 'close'; kind: string; title: string } | null;
  /**
   * A loop rule stopped the job (enforced): the output cycle's signature, for
   * the engine to remember in the job's scope. Null otherwise.
   */
  learn?: { signature: string; period: number; rule: string; templates: string[] } | null;
}

export type RolloutSettings = { mode: RolloutMode; canaryPercent: number };

export interface RestartSettings {
  /** First automatic restart delay; each further one is `factor` times longer, capped at maxDelayMs. */
  initialDelayMs: number;
  factor: number;
  maxDelayMs: number;
  /** An attempt that stays up this long resets the backoff. */
  resetAfterMs: number;
  /** At most `budget` restarts (automatic or manual) within budgetWindowMs. */
  budget: number;
  budgetWindowMs: number;
}

/** Everything a run needs to know about its policy, after profile < config file < flags. */
export interface EffectiveSettings {
  profile: ProfileName;
  detection: DetectionThresholds;
  onRunaway: RunawayAction;
  rollout: RolloutSettings;
  /** Time between SIGTERM and SIGKILL when stopping. */
  graceMs: number;
  /** How often the process tree is sampled and the policy evaluated. */
  sampleIntervalMs: number;
  restart: RestartSettings;
  /** The config file these settings came from, if any (absolute path). */
  configFile: string | null;
  /** The run points its agent's OpenTelemetry exporter at FlowForge's receiver (budgets need it). */
  agentTelemetry: boolean;
}
