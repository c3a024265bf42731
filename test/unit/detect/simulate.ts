// A scripted job for detector + policy tests: what it prints each second and
// what its tree uses, replayed against a FakeClock. Lines of one second arrive
// in 10 chunks spread over the second, as they would from a pipe.
import { Detector } from '../../../server/detect/detector';
import type { SignatureInputs } from '../../../server/detect/signatures';
import type { DetectionThresholds, SignalSnapshot } from '../../../server/detect/types';
import { PolicyEngine } from '../../../server/policy/policyEngine';
import { resolveSettings } from '../../../server/policy/resolveSettings';
import type { EffectiveSettings, PolicyOverrides, Verdict } from '../../../server/policy/types';
import { FakeClock } from '../../../server/util/clock';

export interface Job {
  seconds: number;
  /** Text printed during second i (joined as is: include '\n' or '\r' yourself). */
  output(i: number): string;
  /** Tree CPU measured at the end of second i (the first reading is always null: a baseline). */
  cpu(i: number): number | null;
  rssMb?(i: number): number;
  procs?(i: number): number;
  spawned?(i: number): number;
  stderr?(i: number): string;
  /** Bytes read + written by the tree during second i (absent: unknown). */
  ioBytes?(i: number): number;
  /** Memory the machine can still give at the end of second i, MB (absent: unknown). */
  memAvailableMb?(i: number): number;
}

export interface Tick {
  s: number;
  snap: SignalSnapshot;
  verdict: Verdict;
}

export interface SimResult {
  ticks: Tick[];
  settings: EffectiveSettings;
  /** Seconds from start of the first verdict whose (intended or actual) action is `action`, or null. */
  first(action: Verdict['action'], which?: 'intended' | 'action'): number | null;
  last(): Tick;
}

export function simulate(
  job: Job,
  overrides: PolicyOverrides = {},
  runKey = 'run-test',
  thresholds: Partial<DetectionThresholds> = {},
  /** Extra time (ms) that passes unobserved before second i (a laptop sleeping), 0 by default. */
  gapBefore: (i: number) => number = () => 0,
  /** Learned and allowed signatures of the job's scope, as the engine would pass them. */
  signatures?: SignatureInputs,
): SimResult {
  const resolved = resolveSettings(overrides);
  const settings = { ...resolved, detection: { ...resolved.detection, ...thresholds } };
  const clock = new FakeClock();
  const start = clock.now();
  const detector = new Detector(settings.detection, start);
  const policy = new PolicyEngine(settings, runKey);
  const ticks: Tick[] = [];
  for (let i = 0; i < job.seconds; i++) {
    if (gapBefore(i) > 0 && gapBefore(i) !== gapBefore(i - 1)) clock.advance(gapBefore(i) - gapBefore(i - 1));
    const pieces = splitInTen(job.output(i));
    const errs = splitInTen(job.stderr?.(i) ?? '');
    for (let k = 0; k < 10; k++) {
      clock.advance(100);
      if (pieces[k]) detector.observeOutput('stdout', Buffer.from(pieces[k]!), clock.now());
      if (errs[k]) detector.observeOutput('stderr', Buffer.from(errs[k]!), clock.now());
    }
    const t = clock.now();
    detector.observeResources({
      t,
      cpuPercent: i === 0 ? null : job.cpu(i),
      rssBytes: (job.rssMb?.(i) ?? 50) * 1024 * 1024,
      procs: job.procs?.(i) ?? 1,
      spawned: job.spawned?.(i) ?? (i === 0 ? 1 : 0),
      exited: job.spawned?.(i) ?? 0,
      ioBytes: i === 0 || !job.ioBytes ? null : job.ioBytes(i),
      memAvailableBytes: job.memAvailableMb ? job.memAvailableMb(i) * 1024 * 1024 : null,
    });
    detector.flushPartial(t);
    const snap = detector.snapshot(t, signatures);
    ticks.push({ s: (t - start) / 1000, snap, verdict: policy.evaluate(snap, { protection: true, signatures }) });
  }
  return {
    ticks,
    settings,
    first: (action, which = 'intended') => ticks.find((x) => x.verdict[which] === action)?.s ?? null,
    last: () => ticks[ticks.length - 1]!,
  };
}

/** Splits text into 10 pieces at line boundaries where possible (a chunk may still end mid-line). */
function splitInTen(text: string): string[] {
  if (!text) return [];
  const lines = text.split(/(?<=\n)/);
  if (lines.length >= 10) {
    const per = Math.ceil(lines.length / 10);
    return Array.from({ length: 10 }, (_, k) => lines.slice(k * per, (k + 1) * per).join(''));
  }
  const out = Array<string>(10).fill('');
  lines.forEach((l, j) => (out[Math.floor((j * 10) / lines.length)] += l));
  return out;
}

/** n lines from a generator, numbered across the whole run (`base` = lines printed before). */
export function lines(n: number, base: number, make: (k: number) => string): string {
  let s = '';
  for (let j = 0; j < n; j++) s += make(base + j) + '\n';
  return s;
}

export const actions = (r: SimResult): Set<string> => new Set(r.ticks.map((x) => x.verdict.intended));
