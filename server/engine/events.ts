// What the engine announces. `journal` carries every durable change with its
// sequence number (the SSE id); `sample` and `output` are live-only.
import type { SignalSnapshot, StreamName } from '../detect/types';
import type { Verdict } from '../policy/types';
import type { EndReason, Incident, Run, Sample, TimelineEvent } from '../shared/protocol/domain';
import type { TreeReading } from '../supervisor/treeTracker';

export interface OutputEvent {
  run_id: string;
  job_id: string;
  stream: StreamName;
  chunk: Buffer;
}

/** FlowForge stepped in (or would have): what the CLI prints and the extension notifies about. */
export interface InterventionEvent {
  run: Run;
  /** `alert`: told the user; `kill`/`restart`: acted; `held`: shadow/canary held a kill or restart back. */
  kind: 'alert' | 'kill' | 'restart' | 'held' | 'budget_spent';
  verdict: Verdict | null;
  snapshot: SignalSnapshot | null;
  incident: Incident | null;
  /** Short plain-language lines, already redacted. */
  explanation: string[];
}

/** One tick's reading of a run's whole tree (live only: the OpenTelemetry export reports it). */
export interface ResourcesEvent {
  run: Run;
  reading: TreeReading;
}

export interface JobOutcome {
  job_id: string;
  /** The id of the job's first run (what `--summary-json` reports as run_id). */
  run_id: string;
  outcome: EndReason;
  exit_code: number | null;
  signal: string | null;
  intervened: boolean;
  action: 'kill' | 'restart' | null;
  first_flag_s: number | null;
  intervened_after_s: number | null;
  alerts: number;
  incident_ids: string[];
  rules: string[];
  peak_cpu_percent: number;
  peak_rss_mb: number;
  duration_s: number;
  attempts: number;
  /** A message for the person when the job could not start. */
  start_error: string | null;
}

export interface EngineEvents extends Record<string, unknown> {
  journal: TimelineEvent;
  run: Run;
  sample: Sample;
  resources: ResourcesEvent;
  incident: Incident;
  output: OutputEvent;
  intervention: InterventionEvent;
  jobEnded: JobOutcome;
}
