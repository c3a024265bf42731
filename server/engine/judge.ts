// The seam between supervision and judgement: a run's output and resource
// readings go in, a verdict comes out once per tick. The default judge is the
// detector plus the policy; tests can pass a scripted one.
import type { AgentUsageReading } from '../agents/costMeter';
import type { ResourceReading, SignalSnapshot, StreamName } from '../detect/types';
import type { Verdict } from '../policy/types';
import { Detector } from '../detect';
import { SampledFeed } from '../detect/sampledFeed';
import { PolicyEngine } from '../policy/policyEngine';
import type { EffectiveSettings } from '../policy/types';
import type { PolicyInputs } from '../policy/policyEngine';
import { monotonicFrom, type Clock } from '../util/clock';

export interface Judge {
  observeOutput(stream: StreamName, chunk: Buffer, t: number): void;
  observeResources(reading: ResourceReading): void;
  /** The agent's own usage numbers (runs with agent telemetry), for the budget rules. */
  observeAgentUsage?(reading: AgentUsageReading): void;
  /** `inputs` carry what the policy weighs besides the signals (the workspace's protection). */
  evaluate(t: number, inputs: PolicyInputs): { snapshot: SignalSnapshot; verdict: Verdict };
}

/** `clock`: where durations come from (its monotonic reading); without one, the times passed in are used as they are. */
export type JudgeFactory = (settings: EffectiveSettings, runKey: string, startedAt: number, clock?: Clock) => Judge;

/**
 * The detector and the policy measure every duration (silence, how long a
 * rule has held, rates, windows) on the monotonic clock: setting the wall
 * clock (NTP, a person) neither stretches nor shrinks them, and on Linux the
 * time a laptop sleeps does not count (what counts is what was watched). The
 * snapshot handed back carries the wall time the engine passed in, which is
 * what records are stamped with.
 */
export const detectorJudge: JudgeFactory = (settings, runKey, startedAt, clock) => {
  const detector = new Detector(settings.detection, startedAt);
  const policy = new PolicyEngine(settings, runKey);
  // Every byte is counted; lines are analysed within a budget (a fast printer is sampled).
  const feed = new SampledFeed(detector);
  const mono = clock ? monotonicFrom(clock, startedAt) : null;
  const at = (t: number) => (mono ? mono() : t);
  let usage: AgentUsageReading | null = null;
  return {
    observeOutput: (stream, chunk, t) => feed.feed(stream, chunk, at(t)),
    observeResources: (reading) => detector.observeResources({ ...reading, t: at(reading.t) }),
    observeAgentUsage: (reading) => {
      usage = reading;
    },
    evaluate: (t, inputs) => {
      const m = at(t);
      detector.flushPartial(m);
      const snapshot = detector.snapshot(m, inputs.signatures);
      if (usage) snapshot.agentUsage = usage;
      const verdict = policy.evaluate(snapshot, inputs);
      return { snapshot: { ...snapshot, t }, verdict };
    },
  };
};
