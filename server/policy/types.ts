// The contract between the policy and the engine that carries out its
// decisions. The policy is pure and stateful per run: it sees one
// SignalSnapshot per tick and answers with a Verdict.
import type { Action, ProfileName, RolloutMode, RuleResult, RunawayAction, SignalReading } from '../protocol/domain';

/** What a person or a config file can set; everything optional (profile defaults fill the rest). */
export interface PolicyOverrides {
  profile?: ProfileName;
  maxCpu?: number;
  maxMemoryMb?: number;
  onRunaway?: RunawayAction;
  rollout?: RolloutMode;
  canaryPercent?: number;
  graceMs?: number;
  /** Path of a YAML or JSON config file; its values sit below explicit flags. */
  configFile?: string;
}

export interface Verdict {
  /** What the engine must do now. */
  action: Action;
  /** What the rules asked for before the rollout mode had its say. */
  intended: Action;
  /** False when shadow/canary held a kill or restart back. */
  enforced: boolean;
  canaryBucket: number | null;
  /** Whether this verdict should be stored as a decision (continue verdicts are sampled). */
  record: boolean;
  confidence: number;
  rules: RuleResult[];
  signals: SignalReading[];
  /** Plain-language explanation: which rule, for how long, the numbers. */
  reason: string;
  templates: string[];
  evidence: string[];
  /**
   * Episode bookkeeping, so that one runaway episode gives one incident:
   * `open` on the first non-continue verdict, `update` while it lasts, `close` when signals are back to normal.
   */
  episode: { phase: 'open' | 'update' | 'close'; kind: string; title: string } | null;
}

export type RolloutSettings = { mode: RolloutMode; canaryPercent: number };
