// An agent's usage as the engine sees it, with a fake clock: it reports
// tokens and cost every 2 s (Claude Code's counters, delta), the meter reads
// them, and the policy judges once a second. For the policy and panel tests.
import { CostMeter } from '../../server/agents/costMeter';
import { Detector } from '../../server/detect/detector';
import type { SignalSnapshot } from '../../server/detect/types';
import { PolicyEngine } from '../../server/policy/policyEngine';
import { resolveSettings } from '../../server/policy/resolveSettings';
import type { PolicyOverrides, Verdict } from '../../server/policy/types';
import type { MetricPoint } from '../../server/otel/receiverDecode';
import { FakeClock } from '../../server/util/clock';

const point = (name: string, value: number, attributes: Record<string, string>): MetricPoint => ({ name, kind: 'sum', temporality: 'delta', value, startMs: 1, timeMs: 1, attributes });

export interface UsageTick {
  s: number;
  v: Verdict;
  snap: SignalSnapshot;
}

/** `tokensPerS` (3/4 input, 1/4 output) and `usdPerS` of claude-opus-4-1 for `seconds`; a verdict a second. */
export function simulateAgentUsage(overrides: PolicyOverrides, tokensPerS: number, usdPerS: number, seconds: number): UsageTick[] {
  const settings = resolveSettings(overrides);
  const clock = new FakeClock();
  const start = clock.now();
  const detector = new Detector(settings.detection, start);
  const policy = new PolicyEngine(settings, 'run-cost');
  const meter = new CostMeter(start);
  const out: UsageTick[] = [];
  for (let s = 1; s <= seconds; s++) {
    clock.advance(1000);
    const t = clock.now();
    if (s % 2 === 0) {
      meter.observe(
        [
          point('claude_code.token.usage', tokensPerS * 1.5, { type: 'input', model: 'claude-opus-4-1' }),
          point('claude_code.token.usage', tokensPerS * 0.5, { type: 'output', model: 'claude-opus-4-1' }),
          point('claude_code.cost.usage', usdPerS * 2, { model: 'claude-opus-4-1' }),
        ],
        t,
      );
    }
    detector.observeResources({ t, cpuPercent: s === 1 ? null : 3, rssBytes: 80 << 20, procs: 1, spawned: s === 1 ? 1 : 0, exited: 0 });
    const snap = detector.snapshot(t);
    snap.agentUsage = meter.reading(t);
    out.push({ s, v: policy.evaluate(snap), snap });
  }
  return out;
}
