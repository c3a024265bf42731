// The contract between the supervisor and the detector. The detector is pure:
// it only sees what it is fed (output chunks, resource readings, timestamps)
// and never reads the clock or the process table itself.

/** One sampling tick of the job's whole process tree (from the supervisor). */
export interface ResourceReading {
  t: number;
  /** Percent of one core summed over the tree; null when there is no reading yet. */
  cpuPercent: number | null;
  rssBytes: number;
  procs: number;
  /** Processes that appeared / went away since the previous reading. */
  spawned: number;
  exited: number;
}

export type StreamName = 'stdout' | 'stderr';

/** Everything the policy needs, computed once per tick. */
export interface SignalSnapshot {
  t: number;
  /** Milliseconds since the run started. */
  elapsedMs: number;
  cpu: {
    /** Latest tree CPU (percent of one core), null before the first reading. */
    percent: number | null;
    /** CPU level sustained over the profile's CPU window (robust low percentile), null until the window has data. */
    sustainedPercent: number | null;
    /** How long CPU has stayed above the profile's threshold (N-of-M tolerant), ms. */
    highForMs: number;
    peakPercent: number;
  };
  output: {
    /** 0..1: how much of recent output is the same few templates, cycles of up to 5 lines included. */
    repetition: number;
    /** Length of the repeating cycle (1..5) when repetition is high, else null. */
    cycleLength: number | null;
    /** New templates per minute over the novelty window. */
    novelty: number;
    /** 0..1: how strongly the values inside the repeated template move steadily (counters, losses, percentages). */
    progress: number;
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
    /** A few recent raw lines (ANSI stripped, truncated), NOT yet redacted. */
    evidence: string[];
  };
  memory: {
    rssMb: number;
    peakMb: number;
    /** Least-squares slope over the memory window, MB per second. */
    slopeMbPerS: number;
  };
  tree: {
    procs: number;
    /** Processes spawned + exited per second over the tree window. */
    churnPerS: number;
  };
}
