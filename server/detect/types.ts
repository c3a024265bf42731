// The contract between the supervisor and the detector. The detector is pure:
// it only sees what it is fed (output chunks, resource readings, timestamps)
// and never reads the clock or the process table itself.
import type { AgentUsageReading } from '../agents/costMeter';
import type { KnownSignature, SignatureMatch } from './signatures';
import type { ToolLoopReading } from './toolCalls';

/** One sampling tick of the job's whole process tree (from the supervisor). */
export interface ResourceReading {
  t: number;
  /** Percent of one core summed over the tree; null when there is no reading yet. */
  cpuPercent: number | null;
  /**
   * CPU the tree wanted (time on a CPU plus waiting for one), percent of one core;
   * null or absent where unknown. On a busy machine a spinning job keeps ~100 here.
   */
  cpuDemandPercent?: number | null;
  rssBytes: number;
  procs: number;
  /** Processes that appeared / went away since the previous reading. */
  spawned: number;
  exited: number;
  /** Bytes the tree read + wrote (files, pipes, sockets) since the previous reading; null or absent where unknown. */
  ioBytes?: number | null;
  /** Memory the machine (or its cgroup) can still give, bytes; null or absent where unknown. */
  memAvailableBytes?: number | null;
}

export type StreamName = 'stdout' | 'stderr';

/** Everything the policy needs, computed once per tick. */
export interface SignalSnapshot {
  /** The agent's tool-call loop, when its hooks report tool calls (server/detect/toolCalls.ts). */
  tools?: ToolLoopReading | null;
  /** The agent's own token and cost counters, when the run has agent telemetry (server/agents/costMeter.ts). */
  agentUsage?: AgentUsageReading | null;
  t: number;
  /** Milliseconds since the run started. */
  elapsedMs: number;
  cpu: {
    /** Latest tree CPU (percent of one core), null before the first reading. */
    percent: number | null;
    /** CPU level sustained over the profile's CPU window (robust low percentile), null until the window has data. */
    sustainedPercent: number | null;
    /** Latest CPU demand (on a CPU or waiting for one), null where unknown. */
    demandPercent: number | null;
    /**
     * How busy the job is, sustained over the CPU window: the lower quartile of its CPU
     * demand where known, else of its CPU. What the rules compare with maxCpu.
     */
    busyPercent: number | null;
    /** How long the job has stayed busy (busyPercent's readings at or above maxCpu, N-of-M tolerant), ms. */
    highForMs: number;
    peakPercent: number;
  };
  output: {
    /** 0..1: how much of recent output repeats: the same few templates, short cycles per stream, or an established long cycle over both streams. */
    repetition: number;
    /** Length of the repeating cycle (1..512 lines) when repetition is high, else null. */
    cycleLength: number | null;
    /** The repeating cycle's signature (server/detect/signatures.ts) when repetition is high, else null. */
    signature: string | null;
    /** A learned signature (a confirmed runaway of this scope) at the end of the output now, with its whole cycles in a row. */
    learned: SignatureMatch | null;
    /** A signature a person marked "not a runaway" seen in the output (now or within the last 10 s). */
    allowed: KnownSignature | null;
    /** New templates per minute over the novelty window. */
    novelty: number;
    /** Share of recent lines whose template had not been seen before (0..1). */
    novelShare: number;
    /** 0..1: how strongly the values inside the repeated template move steadily (counters, losses, percentages). 0 when unknown. */
    progress: number;
    /** False until the dominant templates have enough sampled lines for `progress` to mean anything. */
    progressKnown: boolean;
    /** Plain words about the movement behind `progress` (e.g. "only a counter moves (...)"). */
    progressDetail: string;
    /** Lines per second over the rate window. */
    rate: number;
    /** Milliseconds since the last line of output. */
    silenceMs: number;
    /** How long the output has stayed repetitive without novelty, ms. */
    repetitiveForMs: number;
    linesTotal: number;
    bytesTotal: number;
    /** Lines and bytes since the previous snapshot. */
    linesDelta: number;
    bytesDelta: number;
    /** The dominant normalised template(s), most frequent first (at most 5). */
    templates: string[];
    /** Share of recent lines of each entry of `templates`. */
    templateShares: number[];
    /** Share of recent lines whose template says something failed (error, refused, retrying, ...). */
    failingShare: number;
    /** A few recent raw lines (ANSI stripped, truncated), NOT yet redacted. */
    evidence: string[];
  };
  memory: {
    rssMb: number;
    peakMb: number;
    /** Least-squares slope over the memory window, MB per second. */
    slopeMbPerS: number;
    /**
     * The memory guard's growth rate, MB per second: 0 unless each of the last two
     * intervals grew at least 32 MB/s; then the steeper of that and the 10 s slope.
     */
    fastSlopeMbPerS: number;
    /** Memory the machine (or cgroup) can still give, MB; null when unknown. */
    availableMb: number | null;
    /** Seconds until the available memory runs out at the fast slope; null when not growing or unknown. */
    exhaustInS: number | null;
  };
  io: {
    /** Bytes read + written per second by the tree over the tree window; null when unknown. */
    bytesPerS: number | null;
  };
  tree: {
    procs: number;
    /** Processes spawned + exited per second over the tree window. */
    churnPerS: number;
  };
}

/**
 * Every tunable number of detection and of the rules built on it, one flat
 * set per profile (server/policy/profiles.ts); a config file's `thresholds:`
 * section overrides single keys. Documented in docs/detection.md.
 */
export interface DetectionThresholds {
  /** Tree CPU (percent of one core) at or above which the job counts as busy. */
  maxCpu: number;
  /** Window of the sustained CPU level (its lower quartile), ms. */
  cpuWindowMs: number;
  /** Window of repetition, rate, novelty share and the dominant templates, ms. */
  recentWindowMs: number;
  /** Window over which the numbers inside a template are compared, ms. */
  progressWindowMs: number;
  /** Whether a bare counter (`attempt N`) counts as progress. */
  counterIsProgress: boolean;
  /** Repetition (0..1) at or above which output counts as repetitive. */
  repetition: number;
  /** Share of lines with a new template at or below which output counts as having nothing new. */
  maxNovelty: number;
  /** Progress (0..1) at or above which the job counts as making progress. */
  maxProgress: number;
  /** CPU loop: minimum line rate (lines/s); slower keep-alive lines never make a loop. */
  loopMinRate: number;
  /** CPU loop: a line rate (lines/s) that counts as busy even when CPU readings lag. */
  floodRate: number;
  /** CPU loop: how long it must hold before an alert, and before a kill (null: never), ms. */
  loopAlertMs: number;
  loopKillMs: number | null;
  /** Output loop (any CPU): minimum line rate, alert and kill delays (ms; null: never). */
  outputLoopRate: number;
  outputLoopAlertMs: number;
  outputLoopKillMs: number | null;
  /** Silent spin: busy CPU without any output for this long gives an alert / a kill (null: never), ms. */
  silentSpinAlertMs: number;
  silentSpinKillMs: number | null;
  /** Hard memory limit (MB of RSS over the tree), null for none. */
  maxMemoryMb: number | null;
  /** Window of the memory slope, ms. */
  memoryWindowMs: number;
  /** Memory climb: slope (MB/s) and level (MB) that together raise an alert after memoryClimbAlertMs. */
  memoryClimbMbPerS: number;
  memoryClimbFloorMb: number;
  memoryClimbAlertMs: number;
  /** Hard limit on the number of processes in the tree. */
  maxProcs: number;
  /** Window of process churn, ms. */
  treeWindowMs: number;
  /** Processes started or ended per second that, held for churnAlertMs, raise an alert. */
  churnPerS: number;
  churnAlertMs: number;
  /** Read + write bytes per second (over the tree window) that count as I/O progress: a silent job doing this much is not spinning. */
  ioProgressBytesPerS: number;
  /** Memory guard without a limit: stop a tree whose memory, at its recent slope, would use up the available memory within this many seconds (null: off). */
  memoryExhaustS: number | null;
  /** ... only above this much memory (MB), and once the projection has held for memoryExhaustKillMs. */
  memoryExhaustFloorMb: number;
  memoryExhaustKillMs: number;
  /** Output loop: without failure words (error, refused, retrying, ...) in the repeated lines, a steady line is a poll below this rate (lines/s) and a storm at or above it. */
  stormRate: number;
  /**
   * CPU loop: a loop whose repeated lines say something failed and that starts or
   * ends at least this many processes a second counts as busy (a fork/exec retry
   * storm), whatever CPU share a busy machine gives it.
   */
  forkStormPerS: number;
  /** A rule alerts at or above alertConfidence and kills at or above killConfidence (0..1). */
  alertConfidence: number;
  killConfidence: number;
  /** Lines longer than this are analysed on their first maxLineBytes bytes. */
  maxLineBytes: number;
  /** A trailing line without newline is analysed after this much quiet, ms. */
  partialLineMs: number;
  /** Templates tracked at once (least recently seen are dropped beyond it). */
  maxTemplates: number;
  /** Agent tool-call loops (from its hooks): calls that make a loop, then the nudge; null turns the ladder off. */
  toolLoopCalls: number | null;
  /** Loop calls after the nudge before the repeating call is refused (null: never). */
  toolBlockAfter: number | null;
  /** Loop calls after the first refusal before the job is stopped (null: never). */
  toolStopAfter: number | null;
  /** Agent budgets (from the agent's own telemetry): stop at this cost so far, USD (null: no budget). */
  maxCostUsd: number | null;
  /** Stop when the agent reports this many tokens within a minute (null: no limit). */
  maxTokensPerMin: number | null;
  /** Alert when the agent's cost per hour, at its recent rate, reaches this, USD (null: no alert). */
  maxBurnUsdPerHour: number | null;
  /** Alert when, at its recent rate, the agent would spend the rest of maxCostUsd within this many seconds (null: no alert). */
  costBudgetAlertS: number | null;
}
