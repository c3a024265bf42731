// Replays a recorded trace (server/bench/traceRecorder.ts) through Detector +
// PolicyEngine with a FakeClock: output chunks at their recorded times, one
// resource reading per recorded tick.
import { TraceOutput, type Trace } from '../../../server/bench/traceRecorder';
import { Detector } from '../../../server/detect/detector';
import { PolicyEngine } from '../../../server/policy/policyEngine';
import { resolveSettings } from '../../../server/policy/resolveSettings';
import type { PolicyOverrides } from '../../../server/policy/types';
import { FakeClock } from '../../../server/util/clock';
import type { SimResult, Tick } from './simulate';

export function replay(trace: Trace, overrides: PolicyOverrides = {}, runKey = 'run-replay', untilS = Infinity): SimResult {
  const settings = resolveSettings(overrides);
  const clock = new FakeClock();
  const start = clock.now();
  const detector = new Detector(settings.detection, start);
  const policy = new PolicyEngine(settings, runKey);
  const out = new TraceOutput();
  const ticks: Tick[] = [];
  let next = 0;
  for (const r of trace.readings) {
    if (r.t > untilS * 1000) break;
    while (next < trace.output.length && trace.output[next]!.t <= r.t) {
      const e = trace.output[next++]!;
      clock.advance(start + e.t - clock.now());
      for (const chunk of out.chunks(e)) detector.observeOutput(e.s === 'o' ? 'stdout' : 'stderr', chunk, clock.now());
    }
    clock.advance(start + r.t - clock.now());
    const t = clock.now();
    detector.observeResources({ ...r, t });
    detector.flushPartial(t);
    const snap = detector.snapshot(t);
    ticks.push({ s: r.t / 1000, snap, verdict: policy.evaluate(snap) });
  }
  return {
    ticks,
    settings,
    first: (action, which = 'intended') => ticks.find((x) => x.verdict[which] === action)?.s ?? null,
    last: () => ticks[ticks.length - 1]!,
  };
}
