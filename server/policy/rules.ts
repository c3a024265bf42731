// The rules: each names the signals that must agree before it may act. A
// signal's "degree" says how clearly it is past its threshold: 0.5 exactly at
// the threshold, 1 when past it by its span or more, and unknown signals sit
// just below 0.5 so they can never help a rule fire. A rule is met only when
// every one of its signals is past its threshold; its confidence is then the
// average degree (hard limits: 1). Confidence decides the action: a kill
// needs killConfidence, an alert alertConfidence, and both need the rule to
// have held for its window.
import type { DetectionThresholds, SignalSnapshot } from '../detect/types';
import { COST_RULES } from './costRules';

export type RuleId =
  | 'cpu_loop'
  | 'learned_loop'
  | 'output_loop'
  | 'silent_spin'
  | 'memory_limit'
  | 'memory_climb'
  | 'memory_exhaust'
  | 'process_limit'
  | 'process_churn'
  | 'tool_loop'
  | 'token_rate'
  | 'cost_budget'
  | 'cost_burn';

export interface Factor {
  /** The signal's name, as in the decision's signal list. */
  signal: string;
  value: number | null;
  threshold: number;
  op: '>=' | '<=';
  /** How far past the threshold a value must be to count fully. */
  span: number;
  /** How to print value and threshold for a person. */
  show: (v: number) => string;
}

/** A rule's factor list: a single factor, or alternatives of which the clearest counts. */
export type FactorSlot = Factor | Factor[];

export interface RuleSpec {
  id: RuleId;
  title: string;
  /** The signals that must agree, or null when the rule does not apply (no limit set). */
  factors(s: SignalSnapshot, th: DetectionThresholds): FactorSlot[] | null;
  /** A hard limit set by a person: confidence 1 as soon as it is passed. */
  hard?: boolean;
  /** For rules that carry their own duration (silence): how long the condition has held. */
  held?(s: SignalSnapshot): number;
  alertAfterMs(th: DetectionThresholds): number | null;
  killAfterMs(th: DetectionThresholds): number | null;
  /** What was seen, in plain words with the numbers (the panel and the terminal show this). */
  describe(s: SignalSnapshot, th: DetectionThresholds, heldMs: number): string;
  /**
   * A loop seen in the output: when it stops a job, the output's cycle is
   * learned as a signature, and a signature a person allowed keeps it quiet.
   */
  learnable?: boolean;
}

/** Degree of an unknown signal: just short of the threshold, so it can never make a rule fire. */
const UNKNOWN = 0.4;

export function degree(f: Factor): number {
  if (f.value === null || Number.isNaN(f.value)) return UNKNOWN;
  const past = f.op === '>=' ? f.value - f.threshold : f.threshold - f.value;
  return Math.max(0, Math.min(1, 0.5 + past / (2 * f.span)));
}

export function slotDegree(slot: FactorSlot): { degree: number; factor: Factor } {
  const list = Array.isArray(slot) ? slot : [slot];
  let best = { degree: -1, factor: list[0]! };
  for (const f of list) {
    const d = degree(f);
    if (d > best.degree) best = { degree: d, factor: f };
  }
  return best;
}

// ------------------------------------------------------------------ formatting

export const pct = (v: number): string => `${Math.round(v)}%`;
export const share = (v: number): string => `${Math.round(v * 100)}%`;
export const ratio = (v: number): string => v.toFixed(2);
export const perS = (v: number): string => `${v >= 10 ? Math.round(v) : Number(v.toFixed(1))}/s`;
export const mb = (v: number): string => `${Math.round(v)} MB`;
/** MB below 10 GB, else GB with one decimal. */
export const size = (v: number): string => (v >= 10_240 ? `${Number((v / 1024).toFixed(1))} GB` : mb(v));
export const mbPerS = (v: number): string => `${Number(v.toFixed(1))} MB/s`;
export const count = (v: number): string => String(Math.round(v));
export const bytesPerS = (v: number): string =>
  v >= 1024 * 1024 ? `${Number((v / 1024 / 1024).toFixed(1))} MB/s` : v >= 1024 ? `${Math.round(v / 1024)} KB/s` : `${Math.round(v)} B/s`;

export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  const m = Math.floor(s / 60);
  return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
}

const seconds = (ms: number): string => duration(ms);
const seconds1 = (s: number): string => duration(s * 1000);

/** "98% CPU", or on a busy machine "wanting 100% CPU (getting 31%)". */
function cpuText(s: SignalSnapshot): string {
  const busy = s.cpu.busyPercent ?? s.cpu.percent ?? 0;
  const got = s.cpu.sustainedPercent ?? busy;
  return busy - got >= 15 ? `wanting ${pct(busy)} CPU (getting ${pct(got)} on a busy machine)` : `${pct(busy)} CPU`;
}

function repeatedWhat(s: SignalSnapshot): string {
  const n = s.output.cycleLength ?? 1;
  return n > 1 ? `a ${n}-line cycle` : 'one line';
}

/** ", starting 40 processes a second": a fork/exec storm's cost is in its short-lived children. */
function churnText(s: SignalSnapshot): string {
  return s.tree.churnPerS >= 2 ? `, starting or ending ${Math.round(s.tree.churnPerS)} processes a second` : '';
}

function lineRate(rate: number): string {
  return rate >= 10 ? `${Math.round(rate)}` : `${Number(rate.toFixed(1))}`;
}

// ------------------------------------------------------------------ shared factors

const cpuFactor = (s: SignalSnapshot, th: DetectionThresholds): Factor => ({
  signal: 'cpu',
  value: s.cpu.busyPercent,
  threshold: th.maxCpu,
  op: '>=',
  span: th.maxCpu / 2,
  show: pct,
});

/** Repeating, nothing new, no progress: the output side of every loop rule. */
function loopFactors(s: SignalSnapshot, th: DetectionThresholds): Factor[] {
  return [
    { signal: 'repetition', value: s.output.repetition, threshold: th.repetition, op: '>=', span: 0.1, show: ratio },
    { signal: 'novelty', value: s.output.novelShare, threshold: th.maxNovelty, op: '<=', span: th.maxNovelty, show: share },
    {
      signal: 'progress',
      value: s.output.progressKnown ? s.output.progress : null,
      threshold: th.maxProgress,
      op: '<=',
      span: 0.5,
      show: ratio,
    },
  ];
}

const rateFactor = (s: SignalSnapshot, min: number): Factor => ({
  signal: 'rate',
  value: s.output.rate,
  threshold: min,
  op: '>=',
  span: min,
  show: perS,
});

// ------------------------------------------------------------------ the rules

const cpuLoop: RuleSpec = {
  id: 'cpu_loop',
  title: 'CPU loop',
  learnable: true,
  factors: (s, th) => [
    [
      cpuFactor(s, th),
      { signal: 'flood', value: s.output.rate, threshold: th.floodRate, op: '>=', span: th.floodRate / 2, show: perS },
      forkStormFactor(s, th),
      retryCpuFactor(s, th),
    ],
    ...loopFactors(s, th),
    rateFactor(s, th.loopMinRate),
  ],
  alertAfterMs: (th) => th.loopAlertMs,
  killAfterMs: (th) => th.loopKillMs,
  describe: (s, th, held) => {
    const busy =
      s.cpu.busyPercent !== null && s.cpu.busyPercent >= th.maxCpu
        ? cpuText(s)
        : s.output.rate >= th.floodRate
          ? `${lineRate(s.output.rate)} lines a second`
          : `failing and retrying at ${pct(s.cpu.busyPercent ?? 0)} CPU${s.tree.churnPerS >= th.forkStormPerS ? ' on a busy machine' : ''}`;
    return `${busy}${churnText(s)} for ${seconds(held)} while repeating ${repeatedWhat(s)} (no new output, no progress)`;
  },
};

/**
 * A steady repeated line at low CPU is a poll (ping, a health check, a
 * heartbeat) unless it says something failed or comes faster than a poll would.
 */
const stormFactors = (s: SignalSnapshot, th: DetectionThresholds): Factor[] => [
  { signal: 'failing', value: s.output.failingShare, threshold: FAILING_SHARE, op: '>=', span: FAILING_SHARE, show: share },
  { signal: 'storm_rate', value: s.output.rate, threshold: th.stormRate, op: '>=', span: th.stormRate, show: perS },
];
/** Share of the repeated lines that must say something failed for a retry storm. */
const FAILING_SHARE = 0.3;

/**
 * A failing loop that starts processes for every attempt (a shell `until`
 * retrying git or curl): on a busy machine its short-lived children get a
 * sliver of CPU each and the tree's CPU reads low, but the storm is no less real.
 */
const forkStormFactor = (s: SignalSnapshot, th: DetectionThresholds): Factor => ({
  signal: 'retry_forks',
  value: s.output.failingShare >= FAILING_SHARE ? s.tree.churnPerS : 0,
  threshold: th.forkStormPerS,
  op: '>=',
  span: th.forkStormPerS,
  show: perS,
});

/**
 * A loop that fails every time round (a crash-and-retry traceback loop) and
 * keeps at least half the busy bar: a poll sleeps between its tries and
 * costs next to nothing, this one does work for each failure. On a busy
 * machine such a loop reads 20-35 % where maxCpu is 30 %, and would only be
 * alerted as an output loop.
 */
const retryCpuFactor = (s: SignalSnapshot, th: DetectionThresholds): Factor => ({
  signal: 'retry_cpu',
  value: s.output.failingShare >= FAILING_SHARE ? s.cpu.busyPercent : 0,
  threshold: th.maxCpu / 2,
  op: '>=',
  span: th.maxCpu / 4,
  show: pct,
});

const outputLoop: RuleSpec = {
  id: 'output_loop',
  title: 'Output loop',
  learnable: true,
  factors: (s, th) => [...loopFactors(s, th), rateFactor(s, th.outputLoopRate), stormFactors(s, th)],
  alertAfterMs: (th) => th.outputLoopAlertMs,
  killAfterMs: (th) => th.outputLoopKillMs,
  describe: (s, _th, held) => {
    const n = s.output.cycleLength ?? 1;
    const what = n > 1 ? `the same ${n}-line cycle, ${lineRate(s.output.rate)} lines a second,` : `the same line ${lineRate(s.output.rate)} times a second`;
    const failing = s.output.failingShare >= FAILING_SHARE ? ', failing each time' : '';
    return `${what}${failing} for ${seconds(held)} (no new output, no progress)`;
  },
};

/** Output counts as silent after this long; the rule's own windows are much longer. */
const SILENT_AFTER_MS = 10_000;

const silentSpin: RuleSpec = {
  id: 'silent_spin',
  title: 'Silent CPU spin',
  factors: (s, th) => [
    cpuFactor(s, th),
    { signal: 'silence', value: s.output.silenceMs / 1000, threshold: SILENT_AFTER_MS / 1000, op: '>=', span: 10, show: (v) => `${Math.round(v)} s` },
    // Reading and writing is work (a compressor, a copy): only a spinner without I/O is silent.
    // Where I/O cannot be measured, silence and CPU decide as before.
    { signal: 'io', value: s.io.bytesPerS ?? 0, threshold: th.ioProgressBytesPerS, op: '<=', span: th.ioProgressBytesPerS, show: bytesPerS },
  ],
  held: (s) => Math.min(s.output.silenceMs, s.cpu.highForMs),
  alertAfterMs: (th) => th.silentSpinAlertMs,
  killAfterMs: (th) => th.silentSpinKillMs,
  describe: (s, _th, held) => {
    const io = s.io.bytesPerS === null ? '' : ' or reading and writing';
    return `${cpuText(s)} for ${seconds(held)} without printing anything${io}`;
  },
};

/**
 * The output shows the cycle of a runaway this workspace already stopped
 * (a learned signature): no window to wait for, the cycle itself is the
 * evidence. One whole cycle alerts (confidence 0.75); a second in a row
 * (it is looping again) reaches 1 and stops it. Strict profiles, with a
 * lower stop bar, stop at the first cycle.
 */
const learnedLoop: RuleSpec = {
  id: 'learned_loop',
  title: 'Known runaway',
  learnable: true,
  factors: (s) => [
    { signal: 'learned_cycles', value: s.output.learned?.cycles ?? 0, threshold: LEARNED_CYCLES, op: '>=', span: 0.4, show: count },
  ],
  alertAfterMs: () => 0,
  killAfterMs: () => 0,
  describe: (s) => {
    const m = s.output.learned;
    if (!m) return 'no learned signature in the output';
    const times = m.cycles > 1 ? `, ${m.cycles} times in a row` : '';
    return `printing again the ${m.period}-line cycle of the runaway stopped in incident ${m.incidentId} (learned signature ${m.signature})${times}`;
  },
};
/** A whole cycle of a learned signature meets the rule (0.8: one cycle counts, with confidence 0.75). */
const LEARNED_CYCLES = 0.8;

const memoryLimit: RuleSpec = {
  id: 'memory_limit',
  title: 'Memory limit',
  hard: true,
  factors: (s, th) =>
    th.maxMemoryMb === null
      ? null
      : [{ signal: 'memory', value: s.memory.rssMb, threshold: th.maxMemoryMb, op: '>=', span: th.maxMemoryMb * 0.05, show: mb }],
  alertAfterMs: () => 0,
  killAfterMs: () => 0,
  describe: (s, th) => {
    const climbing = s.memory.slopeMbPerS >= 1 ? `, climbing ${mbPerS(s.memory.slopeMbPerS)}` : '';
    return `${mb(s.memory.rssMb)} of memory, over the ${mb(th.maxMemoryMb ?? 0)} limit${climbing}`;
  },
};

const memoryClimb: RuleSpec = {
  id: 'memory_climb',
  title: 'Memory climbing',
  factors: (s, th) => [
    { signal: 'memory_slope', value: s.memory.slopeMbPerS, threshold: th.memoryClimbMbPerS, op: '>=', span: th.memoryClimbMbPerS / 2, show: mbPerS },
    { signal: 'memory', value: s.memory.rssMb, threshold: th.memoryClimbFloorMb, op: '>=', span: th.memoryClimbFloorMb / 2, show: mb },
  ],
  alertAfterMs: (th) => th.memoryClimbAlertMs,
  killAfterMs: () => null,
  describe: (s, _th, held) => `memory grew ${mbPerS(s.memory.slopeMbPerS)} for ${seconds(held)}, now ${mb(s.memory.rssMb)}`,
};

/**
 * No limit set, but memory grows so fast that the machine would run out within
 * memoryExhaustS: stop it before the kernel's OOM killer picks a victim.
 */
const memoryExhaust: RuleSpec = {
  id: 'memory_exhaust',
  title: 'Memory running out',
  factors: (s, th) =>
    th.memoryExhaustS === null
      ? null
      : [
          { signal: 'memory_exhaust_in', value: s.memory.exhaustInS, threshold: th.memoryExhaustS, op: '<=', span: th.memoryExhaustS / 2, show: seconds1 },
          { signal: 'memory', value: s.memory.rssMb, threshold: th.memoryExhaustFloorMb, op: '>=', span: th.memoryExhaustFloorMb / 2, show: mb },
        ],
  // A one-off jump holds for one interval only: neither alert nor stop before the window.
  alertAfterMs: (th) => th.memoryExhaustKillMs,
  killAfterMs: (th) => th.memoryExhaustKillMs,
  describe: (s, _th, held) =>
    `memory growing ${mbPerS(s.memory.fastSlopeMbPerS)}${held >= 1000 ? ` for ${seconds(held)}` : ''}, now ${size(s.memory.rssMb)}; at that rate the ` +
    `${size(s.memory.availableMb ?? 0)} still available run out in ${seconds1(s.memory.exhaustInS ?? 0)}`,
};

const processLimit: RuleSpec = {
  id: 'process_limit',
  title: 'Too many processes',
  hard: true,
  factors: (s, th) => [{ signal: 'procs', value: s.tree.procs, threshold: th.maxProcs, op: '>=', span: th.maxProcs * 0.1, show: count }],
  alertAfterMs: () => 0,
  killAfterMs: () => 0,
  describe: (s, th) => `${s.tree.procs} processes, over the limit of ${th.maxProcs}`,
};

const processChurn: RuleSpec = {
  id: 'process_churn',
  title: 'Process churn',
  factors: (s, th) => [{ signal: 'churn', value: s.tree.churnPerS, threshold: th.churnPerS, op: '>=', span: th.churnPerS / 2, show: perS }],
  alertAfterMs: (th) => th.churnAlertMs,
  killAfterMs: () => null,
  describe: (s, _th, held) => `${Math.round(s.tree.churnPerS)} processes started or ended per second for ${seconds(held)}`,
};

/**
 * An agent repeating its tool calls (its hooks report them). Not in RULES:
 * it is judged on every tool call, not once a tick, by the agent ladder
 * (server/agents/ladder.ts), which nudges, blocks and stops in turn.
 */
export const toolLoop: RuleSpec = {
  id: 'tool_loop',
  title: 'Tool-call loop',
  factors: (s, th) =>
    th.toolLoopCalls === null
      ? null
      : [{ signal: 'tool_loop_calls', value: s.tools?.calls ?? null, threshold: th.toolLoopCalls, op: '>=', span: th.toolLoopCalls, show: count }],
  alertAfterMs: () => 0,
  killAfterMs: () => null,
  describe: (s) => (s.tools ? s.tools.text : 'no tool-call loop'),
};

/** In order of precedence when several fire with the same action. */
export const RULES: readonly RuleSpec[] = [memoryLimit, processLimit, memoryExhaust, learnedLoop, cpuLoop, silentSpin, outputLoop, memoryClimb, processChurn, ...COST_RULES];

export interface RuleEval {
  spec: RuleSpec;
  /** Every signal past its threshold. */
  met: boolean;
  confidence: number;
  /** Each factor as judged (for alternatives, the clearest one), with its degree. */
  judged: { factor: Factor; degree: number }[];
}

/** How clearly a rule's signals agree right now (the duration is the policy's business). */
export function judgeRule(spec: RuleSpec, s: SignalSnapshot, th: DetectionThresholds): RuleEval | null {
  const slots = spec.factors(s, th);
  if (slots === null) return null;
  const judged = slots.map(slotDegree).map(({ degree: d, factor }) => ({ factor, degree: d }));
  const degrees = judged.map((j) => j.degree);
  const met = degrees.every((d) => d >= 0.5);
  const confidence = !met ? Math.min(...degrees) : spec.hard ? 1 : degrees.reduce((a, b) => a + b, 0) / degrees.length;
  return { spec, met, confidence, judged };
}

/** The numbers behind a rule, e.g. "cpu 98% ≥ 50%, repetition 1.00 ≥ 0.80, ...". */
export function factorSummary(ev: RuleEval): string {
  return ev.judged
    .map(({ factor: f }) => {
      const v = f.value === null ? 'unknown' : f.show(f.value);
      const pass = f.value !== null && (f.op === '>=' ? f.value >= f.threshold : f.value <= f.threshold);
      const op = f.op === '>=' ? (pass ? '≥' : '<') : pass ? '≤' : '>';
      return `${f.signal} ${v} ${op} ${f.show(f.threshold)}`;
    })
    .join(', ');
}
