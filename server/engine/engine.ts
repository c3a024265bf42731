// The engine wires the parts together: it owns the jobs, takes one process
// snapshot per tick for all of them, and records everything through the store.
//   process → sampler → detector → policy → action → store → events (API, CLI)
import type { AuditEvent } from '../shared/protocol/domain';
import { AgentChannel } from '../agents/agentChannel';
import type { OtlpReceiver } from '../otel/receiver';
import type { EvidenceStore } from '../store/types';
import { defaultProcessSource, type ProcessSource } from '../supervisor/processTable';
import type { ReaperClient } from '../supervisor/reaper';
import { systemClock, type Clock, type TimerHandle } from '../util/clock';
import { silentLogger, type Logger } from '../util/logger';
import { TypedEmitter } from '../util/typedEmitter';
import type { EngineEvents, JobOutcome } from './events';
import { JobController, type ActorInfo, type JobSpec, type RestartAnswer } from './job';
import { detectorJudge, type JudgeFactory } from './judge';
import { Recorder } from './recorder';
import { SignatureBook } from './signatureBook';

const FULL_SCAN_EVERY = 10;
/** A tick this late is a gap for the judges (see detect/stretch.ts): the same bar. */
const LATE_TICK_FACTOR = 5;
const LATE_TICK_MIN_MS = 5_000;

export interface EngineOptions {
  store: EvidenceStore;
  clock?: Clock;
  logger?: Logger;
  processSource?: ProcessSource;
  reaper?: ReaperClient | null;
  judgeFactory?: JudgeFactory;
  sampleIntervalMs?: number;
  /** The environment jobs inherit (before their own env and our removals). */
  baseEnv?: NodeJS.ProcessEnv;
  /**
   * Where agents' hooks reach their run: 'auto' (default) opens a channel with
   * the first job, null turns it off (hooks then answer "allow").
   */
  agentChannel?: AgentChannel | null | 'auto';
}

export class Engine {
  readonly events: TypedEmitter<EngineEvents>;
  readonly store: EvidenceStore;
  readonly startedAt: number;
  private readonly jobs = new Map<string, JobController>();
  private readonly runIndex = new Map<string, JobController>();
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly source: ProcessSource;
  private readonly reaper: ReaperClient | null;
  private readonly recorder: Recorder;
  /** Learned and allowed signatures per scope (workspace or directory). */
  readonly signatures: SignatureBook;
  private readonly judgeFactory: JudgeFactory;
  private readonly baseEnv: NodeJS.ProcessEnv;
  private readonly intervalMs: number;
  private timer: TimerHandle | null = null;
  private agentChannel: AgentChannel | null | 'auto';
  private otlpReceiver: OtlpReceiver | null = null;
  private otlpOpening: Promise<OtlpReceiver | null> | null = null;
  private ticking = false;
  private tickCount = 0;
  private lastTickAt: number | null = null;
  /** Monotonic start of the last tick, to notice one that came far too late. */
  private lastTickStart: number | null = null;
  private lastTickError: string | null = null;
  private shuttingDown = false;
  /** Workspaces whose protection is off: their jobs alert instead of killing or restarting. */
  private readonly unprotected = new Set<string>();

  constructor(opts: EngineOptions) {
    this.store = opts.store;
    this.clock = opts.clock ?? systemClock;
    this.logger = opts.logger ?? silentLogger;
    // A listener that throws (an SSE client gone wrong, a printer) is logged; the job and the backend go on.
    this.events = new TypedEmitter<EngineEvents>((err, event) =>
      this.logger.error(`a listener of the engine's '${event}' event failed`, { error: (err as Error)?.stack ?? String(err) }),
    );
    this.source = opts.processSource ?? defaultProcessSource();
    this.reaper = opts.reaper ?? null;
    this.judgeFactory = opts.judgeFactory ?? detectorJudge;
    this.baseEnv = opts.baseEnv ?? process.env;
    this.intervalMs = opts.sampleIntervalMs ?? 1000;
    this.agentChannel = opts.agentChannel === undefined ? 'auto' : opts.agentChannel;
    this.recorder = new Recorder(this.store, this.events, this.clock);
    this.signatures = new SignatureBook(this.store, this.recorder, this.clock, this.logger);
    this.startedAt = this.clock.now();
    this.events.on('run', (run) => this.runIndex.set(run.id, this.jobs.get(run.job_id)!));
  }

  /** Starts a job (or watches a terminal command when spec.watchShellPid is set). */
  startJob(spec: JobSpec): JobController {
    if (this.shuttingDown) throw new Error('the supervisor is shutting down; not starting new jobs');
    const job = new JobController(spec, {
      clock: this.clock,
      logger: this.logger,
      recorder: this.recorder,
      events: this.events,
      source: this.source,
      reaper: this.reaper,
      judgeFactory: this.judgeFactory,
      baseEnv: this.baseEnv,
      agentChannel: this.channel(),
      otlpReceiver: this.otlpReceiver,
      signatures: this.signatures,
    });
    this.jobs.set(job.jobId, job);
    if (spec.workspaceId !== null && this.unprotected.has(spec.workspaceId)) job.setProtection(false);
    job.start();
    this.ensureTicking();
    return job;
  }

  /** The agent channel, opened with the first job (it costs a socket and a folder, nothing before). */
  private channel(): AgentChannel | null {
    if (this.agentChannel === 'auto') {
      try {
        this.agentChannel = AgentChannel.open(this.logger);
      } catch (err) {
        this.logger.error('agent channel could not open; agent hooks will answer "allow"', { error: (err as Error).message });
        this.agentChannel = null;
      }
    }
    return this.agentChannel;
  }

  /**
   * Opens the loopback receiver that agents' telemetry goes to (once). Call it
   * before starting a job with agent telemetry: the job's environment needs
   * its port. Loaded on demand, so runs without agent telemetry never load it.
   * A receiver that cannot open is logged and the job runs without budgets:
   * the job matters more than its meter.
   */
  async prepareAgentTelemetry(): Promise<OtlpReceiver | null> {
    // require, as settings.ts does for config files: evaluated only here, and it works under the test transpiler too.
    const receiverModule = (): typeof import('../otel/receiver') => require('../otel/receiver');
    this.otlpOpening ??= receiverModule()
      .OtlpReceiver.open(this.logger)
      .catch((err: Error) => {
        this.logger.error('the agent telemetry receiver could not open; budgets are not applied', { error: err.message });
        this.otlpOpening = null; // the next job tries again
        return null;
      });
    this.otlpReceiver = await this.otlpOpening;
    return this.otlpReceiver;
  }

  jobByRun(runId: string): JobController | undefined {
    return this.runIndex.get(runId) ?? this.jobs.get(runId);
  }

  activeJobs(): JobController[] {
    return [...this.jobs.values()].filter((j) => j.active);
  }

  stopRun(runId: string, by: ActorInfo & { firstSignal?: NodeJS.Signals }): Promise<JobOutcome> | null {
    return this.jobByRun(runId)?.stop(by) ?? null;
  }

  restartRun(runId: string, by: ActorInfo): RestartAnswer | null {
    return this.jobByRun(runId)?.restart(by) ?? null;
  }

  /**
   * A workspace's protection (default on). Off: its jobs, running ones
   * included, only alert; kill and restart verdicts are held back.
   */
  setWorkspacePolicy(workspaceId: string, policy: { protection: boolean }): void {
    if (policy.protection) this.unprotected.delete(workspaceId);
    else this.unprotected.add(workspaceId);
    for (const job of this.activeJobs()) if (job.spec.workspaceId === workspaceId) job.setProtection(policy.protection);
  }

  /** Records an action taken outside a job (an API client registering a workspace, ...). */
  recordAudit(fields: Omit<AuditEvent, 'id' | 't'>): AuditEvent {
    return this.recorder.audit(fields);
  }

  /** Health of the sampler, for readiness checks. */
  samplerHealth(): { ok: boolean; lastTickAt: number | null; error: string | null } {
    const late = this.lastTickAt !== null && this.activeJobs().length > 0 && this.clock.now() - this.lastTickAt > 5 * this.intervalMs;
    return { ok: !late && this.lastTickError === null, lastTickAt: this.lastTickAt, error: this.lastTickError };
  }

  private ensureTicking(): void {
    if (this.timer) return;
    const loop = () => {
      this.timer = this.clock.setTimeout(loop, this.intervalMs);
      this.timer.unref?.();
      void this.tick();
    };
    this.timer = this.clock.setTimeout(loop, this.intervalMs);
    this.timer.unref?.();
  }

  /**
   * One snapshot of the process table, shared by every active job. Most ticks
   * read only the jobs' trees (walking down from what each job already knows);
   * every FULL_SCAN_EVERY-th reads every process, to catch a member of a job's
   * group that was orphaned before any tick saw it.
   */
  async tick(): Promise<void> {
    if (this.ticking) return; // a slow snapshot never piles up ticks
    const active = this.activeJobs();
    if (active.length === 0) {
      this.lastTickStart = null; // idle time between jobs is no gap
      return;
    }
    this.ticking = true;
    this.noteLateTick();
    try {
      const full = this.tickCount++ % FULL_SCAN_EVERY === 0;
      const snapshot = await this.source.snapshot(full ? undefined : active.flatMap((j) => j.processSeeds()));
      for (const job of active) job.tick(snapshot);
      this.lastTickAt = this.clock.now();
      this.lastTickError = null;
    } catch (err) {
      this.lastTickError = (err as Error).message;
      this.logger.error('sampling failed', { error: this.lastTickError });
    } finally {
      this.ticking = false;
    }
  }

  /**
   * A reading far later than the interval (the supervisor was stopped, starved
   * or paused) makes the judges start their durations over: time nobody
   * watched is not evidence. Said in the log, so that a runaway judged late
   * has its reason on record.
   */
  private noteLateTick(): void {
    const now = this.clock.monotonic?.() ?? this.clock.now();
    const since = this.lastTickStart === null ? 0 : now - this.lastTickStart;
    this.lastTickStart = now;
    if (since >= LATE_TICK_FACTOR * this.intervalMs && since >= LATE_TICK_MIN_MS) {
      this.logger.warn('readings came late: durations start over', { gapMs: Math.round(since), intervalMs: this.intervalMs });
    }
  }

  /** Stops every job (`supervisor_shutdown`), then stops sampling. */
  async shutdown(reason = 'supervisor shutting down'): Promise<void> {
    this.shuttingDown = true;
    await Promise.all(
      this.activeJobs().map((j) => j.stop({ actor: 'flowforge', reason, endReason: 'supervisor_shutdown' })),
    );
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.source.dispose();
    if (this.agentChannel instanceof AgentChannel) await this.agentChannel.close();
    await this.otlpReceiver?.close();
  }
}
