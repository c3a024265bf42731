// FlowForge's own OpenTelemetry export, as the engine sees it: listens to the
// engine's events, turns them into plain facts, and hands them to the
// OpenTelemetry SDK. The SDK (~1 MB of code) is loaded with a dynamic import
// only when an export is configured, into a chunk of its own: a run without
// export never parses it. Facts that arrive while it loads are queued and
// replayed in order, so the first run's start is not lost.
import { hostname, userInfo } from 'node:os';
import { basename } from 'node:path';
import type { EngineEvents, InterventionEvent, ResourcesEvent } from '../engine/events';
import type { Decision, Run, TimelineEvent } from '../shared/protocol/domain';
import type { Logger } from '../util/logger';
import type { TypedEmitter } from '../util/typedEmitter';
import { ExportConfigError, exportConfigFrom, sdkDisabled, type ExportConfig, type ExportOptions } from './exportConfig';

/** A run's tree at one tick: what the metrics are made of. */
export interface TickFact {
  kind: 'tick';
  run: RunRef;
  t: number;
  cpuMs: number | null;
  cpuUserMs: number | null;
  cpuPercent: number | null;
  rssBytes: number;
  vsizeBytes: number;
  threads: number;
  procs: number;
  disk: { read: number; write: number } | null;
}

/** A decision FlowForge recorded (alert, nudge, block, kill, restart, or one held back). */
export interface DecisionFact {
  kind: 'decision';
  runId: string;
  t: number;
  action: string;
  intended: string;
  enforced: boolean;
  confidence: number;
  rules: string[];
  reason: string;
  incidentId: string | null;
}

/** FlowForge told a person about an incident, or acted on it. */
export interface IncidentFact {
  kind: 'incident';
  runId: string;
  jobId: string;
  t: number;
  /** alert, kill, restart, held, budget_spent */
  action: InterventionEvent['kind'];
  incidentId: string;
  rule: string;
  rules: string[];
  confidence: number;
  title: string;
  /** Already redacted by the engine (and again before export). */
  explanation: string[];
}

export interface RunFact {
  kind: 'run';
  run: Run;
}

export type Fact = RunFact | TickFact | DecisionFact | IncidentFact;

/** The fields of a run a metric point names. */
export interface RunRef {
  id: string;
  jobId: string;
  name: string;
  executable: string;
  pid: number | null;
}

/** Who and where is exporting: the resource of every signal. */
export interface ExportIdentity {
  /** The workspace folder (CLI: the current directory); only its name is sent. */
  workspacePath: string;
}

/** The SDK side (exportSdk.ts), loaded on demand. */
export interface ExportPipeline {
  handle(fact: Fact): void;
  /** Sends what is pending now (a run ended). Never rejects. */
  flush(): Promise<void>;
  /** Sends what is pending and stops, within its deadline. Never rejects. */
  shutdown(): Promise<void>;
}

export interface TelemetryExport {
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** Facts held while the SDK loads; beyond this the oldest ticks give way (a run's start and decisions matter more). */
const MAX_QUEUED = 2000;

export function runRef(run: Run): RunRef {
  const first = run.argv[0] ?? run.name;
  return { id: run.id, jobId: run.job_id, name: run.name, executable: basename(first) || run.name, pid: run.pid };
}

export function tickFact(e: ResourcesEvent): TickFact {
  const r = e.reading;
  return {
    kind: 'tick',
    run: runRef(e.run),
    t: r.t,
    cpuMs: r.cpuMs,
    cpuUserMs: r.cpuUserMs,
    cpuPercent: r.cpuPercent,
    rssBytes: r.rssBytes,
    vsizeBytes: r.vsizeBytes,
    threads: r.threads,
    procs: r.procs,
    disk: r.disk ? { ...r.disk } : null,
  };
}

export function decisionFact(e: TimelineEvent): DecisionFact | null {
  if (e.kind !== 'decision' || !e.run_id) return null;
  const d = e.data as Partial<Decision>;
  // Sampled "looked, nothing to do" records stay in the store; a held-back stop (intended kill, did continue) is exported.
  if (d.action === 'continue' && (d.intended ?? 'continue') === 'continue') return null;
  return {
    kind: 'decision',
    runId: e.run_id,
    t: e.t,
    action: String(d.action ?? 'unknown'),
    intended: String(d.intended ?? d.action ?? 'unknown'),
    enforced: d.enforced === true,
    confidence: typeof d.confidence === 'number' ? d.confidence : 0,
    rules: (d.rules ?? []).filter((r) => r.fired).map((r) => r.id),
    reason: String(d.reason ?? e.summary),
    incidentId: e.incident_id,
  };
}

export function incidentFact(e: InterventionEvent, now: number): IncidentFact | null {
  if (!e.incident) return null;
  const i = e.incident;
  return {
    kind: 'incident',
    runId: e.run.id,
    jobId: e.run.job_id,
    t: e.snapshot?.t ?? now,
    action: e.kind,
    incidentId: i.id,
    rule: i.kind,
    rules: [...i.rules],
    confidence: e.verdict?.confidence ?? i.confidence,
    title: i.title,
    explanation: [...e.explanation],
  };
}

/**
 * Starts exporting what `events` announces. Returns at once; the SDK loads
 * beside the job. A failure to load it is one warning, never an error of the run.
 */
export function startTelemetryExport(
  events: TypedEmitter<EngineEvents>,
  config: ExportConfig,
  logger: Logger,
  identity: ExportIdentity,
): TelemetryExport {
  const queue: Fact[] = [];
  let pipeline: ExportPipeline | null = null;
  let failed = false;
  const push = (fact: Fact) => {
    if (pipeline) return pipeline.handle(fact);
    if (failed) return;
    if (queue.length >= MAX_QUEUED) {
      const oldestTick = queue.findIndex((f) => f.kind === 'tick');
      if (oldestTick < 0) return;
      queue.splice(oldestTick, 1);
    }
    queue.push(fact);
  };
  // The engine keeps changing its run objects: a queued fact holds a copy.
  const unsubscribe = [
    events.on('run', (run) => push({ kind: 'run', run: pipeline ? run : structuredClone(run) })),
    events.on('resources', (e) => push(tickFact(e))),
    events.on('journal', (e) => {
      const fact = decisionFact(e);
      if (fact) push(fact);
    }),
    events.on('intervention', (e) => {
      const fact = incidentFact(e, Date.now());
      if (fact) push(fact);
    }),
    // A run's end is the moment a person looks for it: send it now, not at the next interval.
    events.on('jobEnded', () => void pipeline?.flush()),
  ];
  const loading = import('./exportSdk')
    .then(({ createPipeline }) => {
      pipeline = createPipeline(config, logger, resourceIdentity(identity));
      for (const fact of queue.splice(0)) pipeline.handle(fact);
    })
    .catch((err: unknown) => {
      failed = true;
      queue.length = 0;
      logger.warn(`OpenTelemetry export is off for this session: the SDK could not be loaded (${(err as Error).message})`);
    });
  return {
    async flush() {
      await loading;
      await pipeline?.flush();
    },
    async shutdown() {
      for (const off of unsubscribe) off();
      await loading;
      await pipeline?.shutdown();
    },
  };
}

/** The resource's facts about this machine and person, gathered without the SDK. */
export interface ResourceIdentity {
  hostName: string;
  userName: string | null;
  userId: string | null;
  workspace: string;
}

function resourceIdentity(identity: ExportIdentity): ResourceIdentity {
  let userName: string | null = null;
  let userId: string | null = null;
  try {
    const u = userInfo();
    userName = u.username;
    userId = u.uid >= 0 ? String(u.uid) : null;
  } catch {
    /* no passwd entry (a container with an arbitrary uid) */
  }
  return { hostName: hostname(), userName, userId, workspace: basename(identity.workspacePath) || identity.workspacePath };
}

/**
 * The session's export, or null when none is configured (the usual case: then
 * nothing is loaded and nothing is sent). A configuration that cannot work is
 * one warning and no export: the job runs either way.
 */
export function exportFromEnvironment(
  events: TypedEmitter<EngineEvents>,
  env: Record<string, string | undefined>,
  opts: ExportOptions,
  logger: Logger,
  identity: ExportIdentity,
): TelemetryExport | null {
  let config: ExportConfig | null;
  // An explicit endpoint that the environment switches off deserves a word: the user asked for an export.
  if (opts.endpoint && sdkDisabled(env)) logger.info(`OpenTelemetry export is off (OTEL_SDK_DISABLED=true), although an endpoint was given`);
  try {
    config = exportConfigFrom(env, opts);
  } catch (err) {
    if (!(err instanceof ExportConfigError)) throw err;
    logger.warn(`OpenTelemetry export is off: ${err.message}`);
    return null;
  }
  return config ? startTelemetryExport(events, config, logger, identity) : null;
}
