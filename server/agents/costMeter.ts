// An agent's token and cost counters (its own OpenTelemetry metrics) turned
// into what the budgets compare: tokens in the last minute, cost so far, and
// the cost per hour at the recent rate. Pure: it sees only the data points and
// the arrival times it is given.
//
// Counters come cumulative (each export repeats the total since the series
// started) or delta (each export carries what happened since the last one),
// depending on the agent's exporter. A cumulative series counts the growth
// between two exports; when its start time changes or its value goes down,
// the agent restarted it, and the new value counts whole. Usage is placed in
// time by when it arrived: agents export every few seconds (FlowForge asks for
// OTEL_METRIC_EXPORT_INTERVAL=2000), and arrival is on the supervisor's clock.
import type { MetricPoint } from '../otel/receiverDecode';

/** Tokens per minute are counted over this window. */
export const TOKEN_WINDOW_MS = 60_000;
/** The burn rate (cost per hour) is the cost over this window, scaled up. */
export const BURN_WINDOW_MS = 5 * 60_000;
/** ... but never over less than this much of the run, so one early request is not an hourly rate. */
const BURN_MIN_SPAN_MS = 60_000;

interface CounterSpec {
  measures: 'tokens' | 'cost';
  /** The attribute that holds the token type. */
  typeAttr?: string;
  /** Only points of these types count (a total that repeats its parts must not count twice). */
  onlyTypes?: readonly string[];
  /** Points of these types do not count (a part already inside another type). */
  skipTypes?: readonly string[];
}

/**
 * The counters FlowForge reads, by the names the agents document (see
 * docs/agents.md for the sources). Anything else is received and ignored.
 */
export const USAGE_METRICS: Readonly<Record<string, CounterSpec>> = {
  'claude_code.token.usage': { measures: 'tokens', typeAttr: 'type' },
  'claude_code.cost.usage': { measures: 'cost' },
  // Gemini's cached tokens are part of its input count (the API's promptTokenCount includes them).
  'gemini_cli.token.usage': { measures: 'tokens', typeAttr: 'type', skipTypes: ['cache'] },
  // Codex reports each type and their total; only the total counts.
  'codex.turn.token_usage': { measures: 'tokens', typeAttr: 'token_type', onlyTypes: ['total'] },
};

/** What the policy sees of an agent's usage at one tick. */
export interface AgentUsageReading {
  /** Tokens reported within the last TOKEN_WINDOW_MS. */
  tokensPerMin: number;
  tokensTotal: number;
  costUsd: number;
  /** Cost per hour at the rate of the last BURN_WINDOW_MS (null before any cost was reported). */
  costPerHourUsd: number | null;
  /** The last minute's tokens by model and type, largest first (at most 6). */
  recentByKind: { model: string; type: string; tokens: number }[];
  /** Cost so far by model, largest first (at most 4). */
  costByModel: { model: string; usd: number }[];
  /** Data points received (usage and other metrics). */
  points: number;
  /** When the last export arrived (null: none yet). */
  lastReportAt: number | null;
}

interface UsageEvent {
  t: number;
  tokens: number;
  cost: number;
  model: string;
  type: string;
}

interface SeriesState {
  value: number;
  startMs: number;
  timeMs: number;
}

export class CostMeter {
  private readonly series = new Map<string, SeriesState>();
  private readonly events: UsageEvent[] = [];
  private readonly costModels = new Map<string, number>();
  private tokensTotal = 0;
  private costTotal = 0;
  private pointCount = 0;
  private lastReportAt: number | null = null;
  private sawCost = false;

  constructor(private readonly startedAt: number) {}

  /** One export's data points, arrived at `t`. */
  observe(points: readonly MetricPoint[], t: number): void {
    this.lastReportAt = t;
    this.pointCount += points.length;
    for (const p of points) {
      const spec = USAGE_METRICS[p.name];
      if (!spec || p.kind === 'gauge' || p.value === null || !Number.isFinite(p.value)) continue;
      const type = spec.typeAttr ? (p.attributes[spec.typeAttr] ?? '') : '';
      if ((spec.onlyTypes && !spec.onlyTypes.includes(type)) || spec.skipTypes?.includes(type)) continue;
      const inc = this.increment(p);
      if (inc <= 0) continue;
      this.add(spec.measures, inc, p.attributes.model ?? '', type, t);
    }
    this.prune(t);
  }

  /** How much a point adds: a delta as it is, a cumulative value's growth since the series' last export. */
  private increment(p: MetricPoint): number {
    const value = p.value!;
    if (p.temporality === 'delta') return Math.max(0, value);
    const key = seriesKey(p);
    const prev = this.series.get(key);
    // An export that is older than one already seen (a retry) adds nothing.
    if (prev && p.timeMs > 0 && prev.timeMs > 0 && p.timeMs < prev.timeMs) return 0;
    this.series.set(key, { value, startMs: p.startMs, timeMs: p.timeMs });
    if (!prev) return value; // the agent started in this run: everything it counted is this run's
    const restarted = (p.startMs !== 0 && prev.startMs !== 0 && p.startMs !== prev.startMs) || value < prev.value;
    return restarted ? value : value - prev.value;
  }

  private add(measures: 'tokens' | 'cost', inc: number, model: string, type: string, t: number): void {
    if (measures === 'tokens') {
      this.tokensTotal += inc;
      this.events.push({ t, tokens: inc, cost: 0, model, type });
    } else {
      this.sawCost = true;
      this.costTotal += inc;
      this.costModels.set(model, (this.costModels.get(model) ?? 0) + inc);
      this.events.push({ t, tokens: 0, cost: inc, model, type });
    }
  }

  private prune(t: number): void {
    const keepFrom = t - Math.max(TOKEN_WINDOW_MS, BURN_WINDOW_MS);
    let drop = 0;
    while (drop < this.events.length && this.events[drop]!.t <= keepFrom) drop++;
    if (drop) this.events.splice(0, drop);
  }

  reading(t: number): AgentUsageReading {
    let tokensPerMin = 0;
    let burnCost = 0;
    const kinds = new Map<string, { model: string; type: string; tokens: number }>();
    for (const e of this.events) {
      if (e.t > t) continue;
      if (e.t > t - TOKEN_WINDOW_MS && e.tokens > 0) {
        tokensPerMin += e.tokens;
        const key = `${e.model}\u0000${e.type}`;
        const k = kinds.get(key) ?? { model: e.model, type: e.type, tokens: 0 };
        k.tokens += e.tokens;
        kinds.set(key, k);
      }
      if (e.t > t - BURN_WINDOW_MS) burnCost += e.cost;
    }
    const span = Math.max(BURN_MIN_SPAN_MS, Math.min(BURN_WINDOW_MS, t - this.startedAt));
    return {
      tokensPerMin,
      tokensTotal: this.tokensTotal,
      costUsd: this.costTotal,
      costPerHourUsd: this.sawCost ? (burnCost / span) * 3_600_000 : null,
      recentByKind: [...kinds.values()].sort((a, b) => b.tokens - a.tokens).slice(0, 6),
      costByModel: [...this.costModels].map(([model, usd]) => ({ model, usd })).sort((a, b) => b.usd - a.usd).slice(0, 4),
      points: this.pointCount,
      lastReportAt: this.lastReportAt,
    };
  }
}

/** A series is one instrument with one set of attributes (the resource's included: two agent processes are two series). */
function seriesKey(p: MetricPoint): string {
  const attrs = Object.keys(p.attributes)
    .sort()
    .map((k) => `${k}=${p.attributes[k]}`)
    .join('\u0001');
  return `${p.name}\u0002${attrs}`;
}
