// The agent budgets as rules: what the agent's own telemetry reports (tokens
// within the last minute, cost so far, cost per hour at the recent rate)
// against the limits a person set. They go through the same policy as every
// other rule (episodes, rollout, protection, incident and explanation), and
// their numbers are the agent's readings, fed in as data (costMeter.ts).
//
// The ladder: the burn-rate rule alerts (the cost per hour reached
// maxBurnUsdPerHour, or at that rate the rest of the budget would go within
// costBudgetAlertS); the limits stop: tokens per minute at maxTokensPerMin,
// cost so far at maxCostUsd. Each is a limit a person set, so it acts as soon
// as it is reached, like the memory limit.
import type { AgentUsageReading } from '../agents/costMeter';
import type { DetectionThresholds, SignalSnapshot } from '../detect/types';
import type { SignalReading } from '../shared/protocol/domain';
import type { Factor, RuleSpec } from './rules';

export const usd = (v: number): string => (v >= 100 ? `$${Math.round(v)}` : `$${v.toFixed(2)}`);
export const tokenCount = (v: number): string => (v >= 10_000 ? `${Math.round(v / 1000)}k` : String(Math.round(v)));
const perMin = (v: number): string => `${tokenCount(v)} tokens/min`;
const perHour = (v: number): string => `${usd(v)}/h`;
const inTime = (s: number): string => (s < 120 ? `${Math.round(s)} s` : `${Math.round(s / 60)} min`);

/** Seconds until the rest of the budget is spent at the recent rate (null: no budget, or not spending). */
export function budgetLeftS(u: AgentUsageReading | null | undefined, th: DetectionThresholds): number | null {
  if (!u || th.maxCostUsd === null || !u.costPerHourUsd) return null;
  return (Math.max(0, th.maxCostUsd - u.costUsd) / u.costPerHourUsd) * 3600;
}

/** "claude-sonnet-4-5 input 41k, output 9k; claude-haiku output 2k": the last minute's tokens by model and type. */
export function kindBreakdown(u: AgentUsageReading): string {
  const byModel = new Map<string, string[]>();
  for (const k of u.recentByKind) {
    const parts = byModel.get(k.model) ?? [];
    parts.push(`${k.type || 'tokens'} ${tokenCount(k.tokens)}`);
    byModel.set(k.model, parts);
  }
  return [...byModel].map(([model, parts]) => `${model ? `${model} ` : ''}${parts.join(', ')}`).join('; ');
}

const costModels = (u: AgentUsageReading): string =>
  u.costByModel.length > 1 || (u.costByModel[0]?.model ?? '') !== '' ? ` (${u.costByModel.map((c) => `${c.model || 'unnamed'} ${usd(c.usd)}`).join(', ')})` : '';

const costSoFar = (u: AgentUsageReading): string => `${usd(u.costUsd)} spent so far${costModels(u)}`;

export const tokenRate: RuleSpec = {
  id: 'token_rate',
  title: 'Token rate over the limit',
  hard: true,
  factors: (s, th) =>
    th.maxTokensPerMin === null
      ? null
      : [{ signal: 'tokens_per_min', value: s.agentUsage?.tokensPerMin ?? null, threshold: th.maxTokensPerMin, op: '>=', span: th.maxTokensPerMin * 0.1, show: perMin }],
  alertAfterMs: () => 0,
  killAfterMs: () => 0,
  describe: (s, th) => {
    const u = s.agentUsage!;
    const kinds = kindBreakdown(u);
    return `the agent reported ${tokenCount(u.tokensPerMin)} tokens in the last minute, over the limit of ${perMin(th.maxTokensPerMin ?? 0)}${kinds ? ` (${kinds})` : ''}; ${tokenCount(u.tokensTotal)} tokens and ${usd(u.costUsd)} in this run`;
  },
};

export const costBudget: RuleSpec = {
  id: 'cost_budget',
  title: 'Cost budget spent',
  hard: true,
  factors: (s, th) =>
    th.maxCostUsd === null ? null : [{ signal: 'cost_so_far', value: s.agentUsage?.costUsd ?? null, threshold: th.maxCostUsd, op: '>=', span: th.maxCostUsd * 0.05, show: usd }],
  alertAfterMs: () => 0,
  killAfterMs: () => 0,
  describe: (s, th) => {
    const u = s.agentUsage!;
    const burn = u.costPerHourUsd ? `, at ${perHour(u.costPerHourUsd)} lately` : '';
    return `${costSoFar(u)}, reaching the budget of ${usd(th.maxCostUsd ?? 0)}${burn}`;
  },
};

/** Alert only: the agent spends fast, before any limit stops it. */
export const costBurn: RuleSpec = {
  id: 'cost_burn',
  title: 'Agent spending fast',
  hard: true,
  factors: (s, th) => {
    const alternatives: Factor[] = [];
    if (th.maxBurnUsdPerHour !== null) {
      const t = th.maxBurnUsdPerHour;
      alternatives.push({ signal: 'cost_per_hour', value: s.agentUsage?.costPerHourUsd ?? null, threshold: t, op: '>=', span: t * 0.1, show: perHour });
    }
    if (th.maxCostUsd !== null && th.costBudgetAlertS !== null) {
      const t = th.costBudgetAlertS;
      alternatives.push({ signal: 'budget_left_in', value: budgetLeftS(s.agentUsage, th), threshold: t, op: '<=', span: t * 0.1, show: inTime });
    }
    return alternatives.length ? [alternatives] : null;
  },
  alertAfterMs: () => 0,
  killAfterMs: () => null,
  describe: (s, th) => {
    const u = s.agentUsage!;
    const left = budgetLeftS(u, th);
    const budget = left !== null && th.costBudgetAlertS !== null && left <= th.costBudgetAlertS ? `; at that rate the ${usd(th.maxCostUsd ?? 0)} budget is spent in ${inTime(left)}` : '';
    const limit = th.maxBurnUsdPerHour !== null ? ` (alert at ${perHour(th.maxBurnUsdPerHour)})` : '';
    return `the agent is spending ${perHour(u.costPerHourUsd ?? 0)} at its recent rate${limit}; ${costSoFar(u)}${budget}`;
  },
};

/** In order of precedence: a stop before an alert. */
export const COST_RULES: readonly RuleSpec[] = [costBudget, tokenRate, costBurn];

/** The budget signals stored with each decision of a run that has agent telemetry (none otherwise, to keep other runs' records short). */
export function usageReadings(s: SignalSnapshot, th: DetectionThresholds): SignalReading[] {
  const u = s.agentUsage;
  if (!u) return [];
  const r = (name: string, value: number | null, threshold: number | null, op: '>=' | '<=', unit: string): SignalReading => ({
    name,
    value: value === null ? null : Math.round(value * 1000) / 1000,
    threshold,
    op,
    unit,
    breached: value !== null && threshold !== null && (op === '>=' ? value >= threshold : value <= threshold),
  });
  return [
    // Short units: the panel prints them after each number. What each means is in docs/agents.md.
    r('tokens_per_min', u.tokensPerMin, th.maxTokensPerMin, '>=', 'tokens/min'),
    r('tokens_total', u.tokensTotal, null, '>=', 'tokens'),
    r('cost_so_far', u.costUsd, th.maxCostUsd, '>=', 'USD'),
    r('cost_per_hour', u.costPerHourUsd, th.maxBurnUsdPerHour, '>=', 'USD/h'),
    r('budget_left_in', budgetLeftS(u, th), th.maxCostUsd !== null ? th.costBudgetAlertS : null, '<=', 's'),
  ];
}
