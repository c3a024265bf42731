// The seam between supervision and judgement: a run's output and resource
// readings go in, a verdict comes out once per tick. The default judge is the
// detector plus the policy; tests can pass a scripted one.
import type { AgentUsageReading } from '../agents/costMeter';
import type { ResourceReading, SignalSnapshot, StreamName } from '../detect/types';
import type { Verdict } from '../policy/types';
import { Detector } from '../detect';
import { SampledFeed } from '../detect/sampledFeed';
import { PolicyEngine, type EffectiveSettings } from '../policy';
import type { PolicyInputs } from '../policy/policyEngine';

export interface Judge {
  observeOutput(stream: StreamName, chunk: Buffer, t: number): void;
  observeResources(reading: ResourceReading): void;
  /** The agent's own usage numbers (runs with agent telemetry), for the budget rules. */
  observeAgentUsage?(reading: AgentUsageReading): void;
  /** `inputs` carry what the policy weighs besides the signals (the workspace's protection). */
  evaluate(t: number, inputs: PolicyInputs): { snapshot: SignalSnapshot; verdict: Verdict };
}

export type JudgeFactory = (settings: EffectiveSettings, runKey: string, startedAt: number) => Judge;

export const detectorJudge: JudgeFactory = (settings, runKey, startedAt) => {
  const detector = new Detector(settings.detection, startedAt);
  const policy = new PolicyEngine(settings, runKey);
  // Every byte is counted; lines are analysed within a budget (a fast printer is sampled).
  const feed = new SampledFeed(detector);
  let usage: AgentUsageReading | null = null;
  return {
    observeOutput: (stream, chunk, t) => feed.feed(stream, chunk, t),
    observeResources: (reading) => detector.observeResources(reading),
    observeAgentUsage: (reading) => {
      usage = reading;
    },
    evaluate: (t, inputs) => {
      detector.flushPartial(t);
      const snapshot = detector.snapshot(t, inputs.signatures);
      if (usage) snapshot.agentUsage = usage;
      return { snapshot, verdict: policy.evaluate(snapshot, inputs) };
    },
  };
};
