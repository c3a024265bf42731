// One supervised job across its attempts. Its life is one explicit state
// (starting, running, stopping, backoff, ended; see jobState.ts) and every
// change goes through transition(). Each attempt (attempt.ts) knows how to
// start, watch and stop its process tree; the verdicts' consequences
// (records, notices, which stop) come from interventions.ts.
import { RestartController } from '../policy/restart';
import { redact } from '../shared/redact';
import type { EndReason, Run } from '../shared/protocol/domain';
import type { ProcessSnapshot } from '../supervisor/processTable';
import type { ExitInfo } from '../supervisor/supervisedProcess';
import { newId } from '../util/ids';
import { Attempt, newRun } from './attempt';
import { AttemptIo } from './attemptIo';
import type { JobOutcome } from './events';
import { IncidentBook } from './incidentBook';
import { JobAgentSide } from './jobAgentSide';
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
  private readonly agent: JobAgentSide;
  /** Input, output flow and signals, to whichever attempt runs now. */
  readonly io = new AttemptIo(() => this.machine.attempt ?? null);
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
    this.agent = new JobAgentSide(this.spec, ctx, this.incidents, () => this.protectionOn);
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
    const attempt = new Attempt(run, this.spec, this.ctx, this.agent.openAgentLink(run), this.agent.feedbackFor(run.attempt), this.agent.openUsageLink(run));
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
    this.agent.recordLastSteps(attempt);
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
        this.agent.leaveFeedback(s.attempt.run, v, st.endReason === 'restarted');
      }
    }
    if (stop) this.stopAttempt(s.attempt, stop.endReason, 'SIGTERM', null, stop.why, afterAutoStop(stop));
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

  private outcome(endReason: EndReason | null): JobOutcome {
    return this.tally.outcome(this.jobId, this.runs, this.incidents.ids, this.ctx.clock.now(), endReason);
  }
}

const afterAutoStop = (stop: AutoStop): AfterStop =>
  stop.endReason === 'restarted' ? { then: 'restart', delayMs: stop.delayMs, requestId: null } : END;
