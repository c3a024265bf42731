// Every signal's value and threshold as stored with each decision, whether or
// not a rule used it: a person reading one incident must see what was measured
// against what, not only the signal that tipped it.
import type { DetectionThresholds, SignalSnapshot } from '../detect/types';
import type { SignalReading } from '../shared/protocol/domain';
import { usageReadings } from './costRules';

function reading(
  name: string,
  value: number | null,
  threshold: number | null,
  op: '>=' | '<=',
  unit: string,
): SignalReading {
  const breached = value !== null && threshold !== null && (op === '>=' ? value >= threshold : value <= threshold);
  return { name, value: value === null ? null : round(value), threshold, op, unit, breached };
}

const round = (v: number): number => Math.round(v * 1000) / 1000;

export function signalReadings(s: SignalSnapshot, th: DetectionThresholds): SignalReading[] {
  const o = s.output;
  return [
    reading('cpu', s.cpu.busyPercent, th.maxCpu, '>=', '% of one core wanted (sustained)'),
    reading('cpu_used', s.cpu.sustainedPercent, null, '>=', '% of one core used (sustained)'),
    reading('cpu_now', s.cpu.percent, null, '>=', '% of one core'),
    reading('cpu_high_for', s.cpu.highForMs / 1000, null, '>=', 's'),
    reading('repetition', o.repetition, th.repetition, '>=', 'share of recent lines'),
    reading('cycle_length', o.cycleLength, null, '>=', 'lines'),
    reading('novelty', o.novelShare, th.maxNovelty, '<=', 'share of recent lines that are new'),
    reading('novelty_per_min', o.novelty, null, '>=', 'new templates per minute'),
    reading('progress', o.progressKnown ? o.progress : null, th.maxProgress, '<=', '0..1'),
    reading('rate', o.rate, th.loopMinRate, '>=', 'lines/s'),
    reading('repetitive_for', o.repetitiveForMs / 1000, null, '>=', 's'),
    reading('silence', o.silenceMs / 1000, th.silentSpinAlertMs / 1000, '>=', 's'),
    reading('memory', s.memory.rssMb, th.maxMemoryMb, '>=', 'MB'),
    reading('memory_slope', s.memory.slopeMbPerS, th.memoryClimbMbPerS, '>=', 'MB/s'),
    reading('memory_exhaust_in', s.memory.exhaustInS, th.memoryExhaustS, '<=', 's until available memory runs out'),
    reading('memory_available', s.memory.availableMb, null, '>=', 'MB'),
    reading('io', s.io.bytesPerS, th.ioProgressBytesPerS, '>=', 'bytes read + written per second'),
    reading('failing', o.failingShare, null, '>=', 'share of recent lines that say something failed'),
    reading('procs', s.tree.procs, th.maxProcs, '>=', 'processes'),
    reading('churn', s.tree.churnPerS, th.churnPerS, '>=', 'processes/s'),
    ...usageReadings(s, th),
  ];
}
