// One supervised job across its attempts. Its life is one explicit state
// (starting, running, stopping, backoff, ended; see jobState.ts) and every
// change goes through transition(). Each attempt (attempt.ts) knows how to
// start, watch and stop its process tree; the verdicts' consequences
// (records, notices, which stop) come from interventions.ts.
import { existsSync } from 'node:fs';
import { feedbackPath, feedbackText, writeFeedback } from '../agents/feedback';
import { AgentLink } from '../agents/agentLink';
import { AgentUsageLink } from '../agents/costLink';
import type { StreamName } from '../detect/types';
import { RestartController } from '../policy/restart';
import type { Verdict } from '../policy/types';
import { redact } from '../shared/redact';
import type { EndReason, Run } from '../shared/protocol/domain';
import type { ProcessSnapshot } from '../supervisor/processTable';
import type { ExitInfo } from '../supervisor/supervisedProcess';
import { newId } from '../util/ids';
import { Attempt, newRun } from './attempt';
import type { JobOutcome } from './events';
import { IncidentBook } from './incidentBook';
import { signatureScope } from './signatureBook';
import { Interventions, type AutoStop } from './interventions';
import { JobTally } from './jobOutcome';
import type { ActorInfo, JobContext, JobSpec } from './jobSpec';
import { JobStateMachine, type AfterStop, type JobState } from './jobState';

export type { ActorInfo, JobContext, JobSpec } from './jobSpec';

export type RestartAnswer = { ok: true; run: Run | null } | { ok: false; retryAfterMs: number; reason: string };

type StopRequest = ActorInfo & { endReason?: EndReason; firstSignal?: NodeJS.Signals };

const END: AfterStop = { then: 'end', endReason: null };

export class JobController {
  readonly jobId: string;
  readonly runs: Run[] = [];
  private readonly machine: JobStateMachine;
  private readonly restarts: RestartController;
  private readonly incidents: IncidentBook;
  private readonly tally: JobTally;
  private readonly interventions: Interventions;
  private protectionOn = true;
  /** The feedback file FlowForge wrote when it last stopped an attempt (handed to the next one). */
  private feedbackWritten: string | null = null;
  private endWaiters: ((o: JobOutcome) => void)[] = [];

  readonly spec: JobSpec;

  constructor(
    spec: JobSpec,
    private readonly ctx: JobContext,
  ) {
    // A shell run's default name is its raw command line: redacted here, once,
    // so no copy of it (run, incident, log line, API answer) holds a secret.
    this.spec = { ...spec, name: redact(spec.name) };
    const startedAt = ctx.clock.now();
    this.jobId = newId('run', startedAt);
    this.restarts = new RestartController(spec.settings.restart);
    this.tally = new JobTally(startedAt);
    const job = { jobId: this.jobId, name: this.spec.name, workspaceId: spec.workspaceId, settings: spec.settings };
    this.incidents = new IncidentBook(job, ctx.recorder, ctx.clock);
    this.interventions = new Interventions(this.spec, ctx, this.tally, this.incidents, this.restarts);
    this.machine = new JobStateMachine((next, prev, why) => this.entered(next, prev, why));
  }

  /** The job's state now (read-only: only transition() changes it). */
  get state(): JobState {
    return this.machine.state;
  }

  get active(): boolean {
    return this.state.name !== 'ended';
  }

  get currentRun(): Run | null {
    return this.machine.attempt?.run ?? this.runs[this.runs.length - 1] ?? null;
  }

  /** Resolves when the job has ended (no attempt running, no restart pending). */
  whenEnded(): Promise<JobOutcome> {
    const s = this.state;
    if (s.name === 'ended' && s.outcome) return Promise.resolve(s.outcome);
    return new Promise((resolve) => this.endWaiters.push(resolve));
  }

  start(): Run {
    return this.startAttempt(this.spec.requestId ?? null, 'started');
  }

  // ---------------------------------------------------------- state changes

  private transition(next: JobState, why: string): void {
    this.machine.transition(next, why);
  }

  private entered(next: JobState, prev: JobState, why: string): void {
    this.ctx.logger.debug(`${this.spec.name}: ${prev.name} → ${next.name} (${why})`, { job_id: this.jobId });
    if (next.name !== 'ended' || !next.outcome) return;
    this.ctx.events.emit('jobEnded', next.outcome);
    for (const w of this.endWaiters.splice(0)) w(next.outcome);
  }

  private startAttempt(requestId: string | null, why: string): Run {
    const run = newRun(this.jobId, this.runs.length + 1, this.spec, this.ctx.clock.now());
    this.runs.push(run);
    const attempt = new Attempt(run, this.spec, this.ctx, this.openAgentLink(run), this.feedbackFor(run.attempt), this.openUsageLink(run));
    this.transition({ name: 'starting', attempt }, why);
    attempt.start(requestId);
    if (attempt.tracker) this.transition({ name: 'running', attempt }, `pid ${run.pid}`);
    void attempt.exited.then((info) => this.onExit(attempt, info));
    return run;
  }

  private stopAttempt(attempt: Attempt, endReason: EndReason, firstSignal: NodeJS.Signals, requestId: string | null, why: string, after: AfterStop): void {
    this.transition({ name: 'stopping', attempt, after }, why);
    attempt.beginStop(endReason, firstSignal, requestId, why);
  }

  /** The attempt's process is gone: wrap it up, then end the job or back off before the next attempt. */
  private async onExit(attempt: Attempt, info: ExitInfo): Promise<void> {
    if (info.startError) this.tally.startError = info.startError;
    const s = this.state;
    if (s.name === 'starting' || s.name === 'running') this.transition({ name: 'stopping', attempt, after: END }, info.startError ? 'failed to start' : 'exited');
    try {
      await attempt.wrapUp(info);
    } catch (err) {
      this.ctx.logger.error(`${this.spec.name}: wrapping up the run failed`, { run_id: attempt.run.id, error: (err as Error).message });
    }
    this.recordLastAgentSteps(attempt);
    attempt.closeAgentLink();
    this.incidents.close(this.ctx.clock.now());
    const { after } = this.state as Extract<JobState, { name: 'stopping' }>;
    if (after.then === 'end') {
      this.transition({ name: 'ended', outcome: this.outcome(after.endReason) }, `run ${attempt.run.end_reason}`);
      return;
    }
    const timer = this.ctx.clock.setTimeout(() => this.startAttempt(after.requestId, 'back-off over'), after.delayMs);
    this.transition({ name: 'backoff', timer, requestId: after.requestId }, `next attempt in ${after.delayMs} ms`);
  }

  // ------------------------------------------------------------------ ticks

  /** Where a sampler should start looking for this job's processes. */
  processSeeds(): number[] {
    return this.machine.attempt?.processSeeds() ?? [];
  }

  /** One sampling tick: resources, signals, verdict, action. Only a running attempt is judged. */
  tick(snapshot: ProcessSnapshot): void {
    const s = this.state;
    if (s.name !== 'running') return;
    const signatures = this.ctx.signatures?.inputsFor(this.scope);
    const judged = s.attempt.observe(snapshot, { protection: this.protectionOn, signatures });
    if (!judged) return;
    this.tally.notePeaks(judged.snap.cpu.peakPercent, judged.snap.memory.peakMb);
    // The policy's verdict, then the agent ladder's steps since the last tick, recorded and acted on alike.
    const verdicts = [judged.verdict, ...(s.attempt.agentVerdicts()?.verdicts ?? [])];
    let stop: AutoStop | null = null;
    for (const v of verdicts) {
      const st = this.interventions.react(s.attempt.run, v, judged.snap);
      if (st && !stop) {
        stop = st;
        this.leaveFeedback(s.attempt.run, v, st);
      }
    }
    if (stop) this.stopAttempt(s.attempt, stop.endReason, 'SIGTERM', null, stop.why, afterAutoStop(stop));
  }

  /** FlowForge stops the job: flowforge-feedback.md says why, for the next attempt (or the next run). */
  private leaveFeedback(run: Run, verdict: Verdict, stop: AutoStop): void {
    const path = feedbackPath(this.spec.cwd, this.spec.feedbackFile);
    if (!path) return;
    try {
      writeFeedback(path, feedbackText(run, verdict, stop.endReason === 'restarted'));
      this.feedbackWritten = path;
    } catch (err) {
      this.ctx.logger.warn(`${this.spec.name}: could not write ${path}`, { error: (err as Error).message });
    }
  }

  /** The feedback an attempt gets: what FlowForge wrote when it stopped the last one, or (first attempt, injectFeedback) a file left by an earlier run. */
  private feedbackFor(attemptNo: number): string | null {
    if (attemptNo > 1) return this.feedbackWritten;
    const path = this.spec.injectFeedback ? feedbackPath(this.spec.cwd, this.spec.feedbackFile) : null;
    return path && existsSync(path) ? path : null;
  }

  /** Ladder steps taken after the last tick of an attempt that has ended (an agent told to stop may exit first): recorded, not acted on. */
  private recordLastAgentSteps(attempt: Attempt): void {
    const last = attempt.agentVerdicts();
    for (const v of last?.verdicts ?? []) {
      this.incidents.track(attempt.run, v, last!.snap);
      this.incidents.recordDecision(attempt.run, v);
    }
  }

  private openAgentLink(run: Run): AgentLink | null {
    const channel = this.ctx.agentChannel;
    if (!channel) return null;
    const host = {
      now: () => this.ctx.clock.now(),
      protectionOn: () => this.protectionOn,
      incident: () => {
        const inc = this.incidents.current;
        return inc ? { id: inc.id, title: inc.title, reason: inc.reason } : null;
      },
    };
    return new AgentLink(channel, run.id, this.spec.settings, host, this.ctx.logger);
  }

  /** A run with agent telemetry gets its own endpoint on the receiver; without a receiver its budgets cannot act, which is said once. */
  private openUsageLink(run: Run): AgentUsageLink | null {
    // A watched terminal command was not started by FlowForge: its environment is not ours to set.
    if (!this.spec.settings.agentTelemetry || this.spec.watchShellPid !== undefined) return null;
    const receiver = this.ctx.otlpReceiver;
    if (!receiver) {
      if (run.attempt === 1) this.ctx.logger.warn(`${this.spec.name}: agent telemetry was asked for, but no receiver is open; budgets are not applied`, { run_id: run.id });
      return null;
    }
    return new AgentUsageLink(receiver, run.id, () => this.ctx.clock.now());
  }

  /** Where this job's learned signatures live (its workspace, or its directory). */
  get scope(): string {
    return signatureScope(this.spec);
  }

  /** The workspace's protection, a policy input: off, the policy turns kill and restart verdicts into alerts. */
  setProtection(enabled: boolean): void {
    this.protectionOn = enabled;
  }

  // ------------------------------------------------------------ user actions

  /** Stops the job (and cancels a pending restart). Resolves when it has ended. */
  async stop(by: StopRequest): Promise<JobOutcome> {
    const endReason = by.endReason ?? 'stopped_by_user';
    this.interventions.audit(this.currentRun, endReason === 'supervisor_shutdown' ? 'shutdown_stop' : 'stop', by);
    const s = this.state;
    const why = `${by.actor}: ${by.reason}`;
    switch (s.name) {
      case 'starting':
      case 'running':
        this.stopAttempt(s.attempt, endReason, by.firstSignal ?? 'SIGTERM', by.requestId ?? null, why, END);
        break;
      case 'stopping':
        // Already going; only what comes after changes: a pending restart is off, the job ends as asked.
        if (s.after.then === 'restart') this.transition({ ...s, after: { then: 'end', endReason } }, why);
        break;
      case 'backoff':
        // Between attempts: nothing runs, the job simply ends here.
        this.ctx.clock.clearTimeout(s.timer);
        this.transition({ name: 'ended', outcome: this.outcome(endReason) }, why);
        break;
      case 'ended':
        break;
    }
    return this.whenEnded();
  }

  /** A manual restart (user, API, notification button): counted against the restart budget, never delayed. */
  restart(by: ActorInfo): RestartAnswer {
    // Budget only: a person asked, so no back-off delay (and the automatic one is left as it was).
    const answer = this.restarts.manual(this.ctx.clock.now());
    if (!answer.allowed) return { ok: false, retryAfterMs: answer.retryAfterMs, reason: answer.reason };
    this.interventions.audit(this.currentRun, 'restart', by);
    const requestId = by.requestId ?? null;
    const why = `${by.actor}: ${by.reason}`;
    const again: AfterStop = { then: 'restart', delayMs: 0, requestId };
    const s = this.state;
    switch (s.name) {
      case 'starting':
      case 'running':
        this.stopAttempt(s.attempt, 'restarted', 'SIGTERM', requestId, why, again);
        return { ok: true, run: null };
      case 'stopping':
        this.transition({ ...s, after: again }, why);
        return { ok: true, run: null };
      case 'backoff':
        this.ctx.clock.clearTimeout(s.timer);
        return { ok: true, run: this.startAttempt(requestId, why) };
      case 'ended':
        return { ok: true, run: this.startAttempt(requestId, why) };
    }
  }

  /** Forwards a signal (Ctrl+C from a terminal) to the job's process group. */
  signal(sig: NodeJS.Signals): boolean {
    return this.machine.attempt?.proc.signalGroup(sig) ?? false;
  }

  write(data: string | Buffer): boolean {
    return this.machine.attempt?.proc.write(data) ?? false;
  }

  /** Backpressure from whoever consumes the output (a slow terminal). */
  pauseOutput(paused: boolean): void {
    this.machine.attempt?.pauseOutput(paused);
  }

  /** Whoever read this stream is gone: stop reading it, so the job meets a closed pipe as it would without us. */
  closeOutput(stream: StreamName): void {
    this.machine.attempt?.closeOutput(stream);
  }

  closeInput(): void {
    this.machine.attempt?.proc.closeStdin();
  }

  /** Watch mode: output lines the terminal saw, and the command's end. */
  feed(lines: string[], end?: { exitCode: number | null }): void {
    this.machine.attempt?.feed(lines, end);
  }

  private outcome(endReason: EndReason | null): JobOutcome {
    return this.tally.outcome(this.jobId, this.runs, this.incidents.ids, this.ctx.clock.now(), endReason);
  }
}

const afterAutoStop = (stop: AutoStop): AfterStop =>
  stop.endReason === 'restarted' ? { then: 'restart', delayMs: stop.delayMs, requestId: null } : END;
