// One supervised job across its attempts: start, watch every tick, act on the
// policy's verdicts (alert, kill, restart with backoff and budget), stop on
// request, and leave a complete record of each run and incident.
import type { SignalSnapshot, StreamName } from '../detect/types';
import type { EffectiveSettings } from '../policy';
import { explainVerdict, RestartController } from '../policy';
import type { Verdict } from '../policy/types';
import type { EndReason, Run, RunSource } from '../shared/protocol/domain';
import { redact, redactArgv } from '../shared/redact';
import { endDescription } from '../shared/runEnd';
import { buildChildEnv } from '../supervisor/childEnv';
import type { ProcessSnapshot, ProcessSource } from '../supervisor/processTable';
import { identityOf } from '../supervisor/processTable';
import type { ReaperClient } from '../supervisor/reaper';
import { SupervisedProcess, type ExitInfo } from '../supervisor/supervisedProcess';
import { stopTree, type StopResult } from '../supervisor/teardown';
import { TreeTracker } from '../supervisor/treeTracker';
import { WatchedProcess } from '../supervisor/watchedProcess';
import { waitAtMost, type Clock, type TimerHandle } from '../util/clock';
import { newId } from '../util/ids';
import type { Logger } from '../util/logger';
import type { TypedEmitter } from '../util/typedEmitter';
import type { EngineEvents, InterventionEvent, JobOutcome } from './events';
import { firedRules, IncidentBook } from './incidentBook';
import { JobTally } from './jobOutcome';
import type { Judge, JudgeFactory } from './judge';
import type { Recorder } from './recorder';

export interface JobSpec {
  name: string;
  command: string;
  args: string[];
  shell: boolean;
  cwd: string;
  env?: Record<string, string>;
  source: RunSource;
  workspaceId: string | null;
  owner: string | null;
  restartable: boolean;
  settings: EffectiveSettings;
  stdin: 'pipe' | 'ignore';
  requestId?: string | null;
  /** Watch mode: the shell whose descendants are the command (nothing is spawned). */
  watchShellPid?: number;
}

export interface JobContext {
  clock: Clock;
  logger: Logger;
  recorder: Recorder;
  events: TypedEmitter<EngineEvents>;
  source: ProcessSource;
  reaper: ReaperClient | null;
  judgeFactory: JudgeFactory;
  baseEnv: NodeJS.ProcessEnv;
}

export interface ActorInfo {
  actor: string;
  reason: string;
  requestId?: string | null;
}

type JobProcess = SupervisedProcess | WatchedProcess;

interface Attempt {
  run: Run;
  proc: JobProcess;
  tracker: TreeTracker | null;
  judge: Judge;
  token: string;
  reportedEscapees: Set<string>;
  stopping: Promise<StopResult> | null;
  endReason: EndReason | null;
  finished: Promise<void>;
  lastPeakSave: number;
}

export type RestartAnswer = { ok: true; run: Run | null } | { ok: false; retryAfterMs: number; reason: string };

export class JobController {
  readonly jobId: string;
  readonly runs: Run[] = [];
  private current: Attempt | null = null;
  /** Set from the moment a restart is decided until the next attempt starts. */
  private pendingRestart: { timer: TimerHandle | null } | null = null;
  private readonly restarts: RestartController;
  private readonly incidents: IncidentBook;
  private readonly tally: JobTally;
  private protectionOn = true;
  private ended = true;
  private endWaiters: ((o: JobOutcome) => void)[] = [];
  private lastOutcome: JobOutcome | null = null;

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
    this.incidents = new IncidentBook(
      { jobId: this.jobId, name: this.spec.name, workspaceId: spec.workspaceId, settings: spec.settings },
      ctx.recorder,
      ctx.clock,
    );
  }

  get active(): boolean {
    return !this.ended;
  }

  get currentRun(): Run | null {
    return this.current?.run ?? this.runs[this.runs.length - 1] ?? null;
  }

  /** Resolves when the job has ended (no attempt running, no restart pending). */
  whenEnded(): Promise<JobOutcome> {
    if (this.ended && this.lastOutcome) return Promise.resolve(this.lastOutcome);
    return new Promise((resolve) => this.endWaiters.push(resolve));
  }

  start(): Run {
    this.ended = false;
    this.tally.endOverride = null;
    return this.startAttempt(this.spec.requestId ?? null);
  }

  // ---------------------------------------------------------------- attempts

  private startAttempt(requestId: string | null): Run {
    const { clock, recorder } = this.ctx;
    const now = clock.now();
    const attemptNo = this.runs.length + 1;
    const run: Run = {
      id: attemptNo === 1 ? this.jobId : newId('run', now),
      job_id: this.jobId,
      attempt: attemptNo,
      name: this.spec.name,
      command: redact(displayCommand(this.spec)),
      argv: redactArgv([this.spec.command, ...this.spec.args]),
      shell: this.spec.shell,
      cwd: this.spec.cwd,
      workspace_id: this.spec.workspaceId,
      source: this.spec.source,
      profile: this.spec.settings.profile,
      on_runaway: this.spec.settings.onRunaway,
      restartable: this.spec.restartable,
      pid: null,
      pgid: null,
      lifecycle: 'STARTING',
      started_at: now,
      ended_at: null,
      exit_code: null,
      signal: null,
      end_reason: null,
      peak_cpu_percent: 0,
      peak_rss_mb: 0,
      intervened: false,
      owner: this.spec.owner,
    };
    this.runs.push(run);
    recorder.run(run, { summary: `${run.name}: attempt ${attemptNo} starting`, request_id: requestId });
    recorder.lifecycle(run, 'STARTING', attemptNo === 1 ? 'started' : 'restarted', requestId);

    const token = newId('job', now);
    const judge = this.ctx.judgeFactory(this.spec.settings, run.id, now);
    const onOutput = (stream: StreamName) => (chunk: Buffer) => {
      judge.observeOutput(stream, chunk, this.ctx.clock.now());
      this.ctx.events.emit('output', { run_id: run.id, job_id: this.jobId, stream, chunk });
    };
    const proc: JobProcess =
      this.spec.watchShellPid !== undefined
        ? new WatchedProcess(this.spec.watchShellPid, (sig) => this.signalWatched(sig))
        : SupervisedProcess.start(
            {
              command: this.spec.command,
              args: this.spec.args,
              shell: this.spec.shell,
              cwd: this.spec.cwd,
              env: buildChildEnv(this.ctx.baseEnv, this.spec.env, { runId: run.id, token, attempt: attemptNo }),
              stdin: this.spec.stdin,
            },
            { onStdout: onOutput('stdout'), onStderr: onOutput('stderr') },
          );

    const attempt: Attempt = {
      run,
      proc,
      tracker: null,
      judge,
      token,
      reportedEscapees: new Set(),
      stopping: null,
      endReason: null,
      finished: Promise.resolve(),
      lastPeakSave: now,
    };
    this.current = attempt;
    const pid = proc.pid;
    if (pid !== undefined) {
      const watched = proc instanceof WatchedProcess;
      attempt.tracker = new TreeTracker(pid, watched ? null : pid, watched);
      run.pid = pid;
      run.pgid = watched ? null : pid;
      if (!watched) {
        this.ctx.reaper?.trackGroup(pid);
        this.ctx.reaper?.trackToken(token);
      }
      recorder.lifecycle(run, 'RUNNING', `pid ${pid}`, requestId);
      recorder.run(run); // after the lifecycle, so the stored run says RUNNING
    }
    attempt.finished = proc.exited.then((info) => this.onExit(attempt, info));
    return run;
  }

  private async onExit(attempt: Attempt, info: ExitInfo): Promise<void> {
    const { run } = attempt;
    if (info.startError) {
      attempt.endReason = 'failed_to_start';
      this.tally.startError = info.startError;
    } else if (!attempt.stopping && attempt.tracker) {
      // The job ended by itself; whatever it left behind goes with it.
      attempt.endReason ??= 'exited';
      const leftovers = attempt.tracker.members(await this.ctx.source.snapshot());
      if (leftovers.length > 0) {
        this.ctx.logger.info(`${run.name}: stopping ${leftovers.length} process(es) left behind`, { run_id: run.id });
        attempt.stopping = this.stopTreeOf(attempt, 'SIGTERM');
      }
    }
    const stopResult = attempt.stopping ? await attempt.stopping : null;
    // An escaped descendant can hold the output pipes for ever: wait a little, then let go.
    await waitAtMost(this.ctx.clock, attempt.proc.outputDone, 300);
    attempt.proc.releasePipes();
    this.forgetInReaper(attempt);

    const now = this.ctx.clock.now();
    run.ended_at = now;
    run.exit_code = info.exitCode;
    run.signal = info.signal;
    run.end_reason = attempt.endReason ?? 'exited';
    const failed = info.startError !== null || (stopResult !== null && !stopResult.confirmed);
    const why = info.startError ?? endDescription(run, stopResult);
    this.ctx.recorder.lifecycle(run, failed ? 'FAILED' : 'STOPPED', why);
    this.ctx.recorder.run(run, { summary: `${run.name}: ${why}` });
    if (stopResult && !stopResult.confirmed)
      this.ctx.logger.error(`${run.name}: processes survived the stop`, { pids: stopResult.survivors });
    this.incidents.close(now);
    if (this.current === attempt) this.current = null;
    if (!this.pendingRestart) this.finish();
  }

  private stopTreeOf(attempt: Attempt, firstSignal: NodeJS.Signals): Promise<StopResult> {
    if (!attempt.tracker) return Promise.resolve({ confirmed: true, escalated: false, survivors: [], durationMs: 0 });
    return stopTree(this.ctx.source, attempt.tracker, {
      graceMs: this.spec.settings.graceMs,
      firstSignal,
      token: attempt.proc instanceof WatchedProcess ? undefined : attempt.token,
    });
  }

  private beginStop(attempt: Attempt, endReason: EndReason, firstSignal: NodeJS.Signals, requestId: string | null, why: string): void {
    if (attempt.stopping) return;
    attempt.endReason = endReason;
    this.ctx.recorder.lifecycle(attempt.run, 'STOPPING', why, requestId);
    attempt.stopping = this.stopTreeOf(attempt, firstSignal);
    // A watched command has no exit event of its own once its processes are gone.
    if (attempt.proc instanceof WatchedProcess) {
      const proc = attempt.proc;
      void attempt.stopping.then(() => proc.end(null));
    }
  }

  private forgetInReaper(attempt: Attempt): void {
    const reaper = this.ctx.reaper;
    if (!reaper || !attempt.run.pgid) return;
    reaper.forgetGroup(attempt.run.pgid);
    reaper.forgetToken(attempt.token);
    for (const id of attempt.reportedEscapees) reaper.forgetPid(Number(id.split(':')[0]));
  }

  private finish(): void {
    this.ended = true;
    const outcome = this.outcome();
    this.lastOutcome = outcome;
    this.ctx.events.emit('jobEnded', outcome);
    for (const w of this.endWaiters.splice(0)) w(outcome);
  }

  // ------------------------------------------------------------------ ticks

  /** Where a sampler should start looking for this job's processes: its root and every process it knows. */
  processSeeds(): number[] {
    const tracker = this.current?.tracker;
    if (!tracker) return [];
    return [tracker.rootPid, ...tracker.tracked().map((p) => p.pid)];
  }

  /** One sampling tick: resources, signals, verdict, action. */
  tick(snapshot: ProcessSnapshot): void {
    const attempt = this.current;
    if (!attempt || !attempt.tracker || attempt.run.lifecycle !== 'RUNNING') return;
    const reading = attempt.tracker.observe(snapshot);
    this.reportEscapees(attempt);
    attempt.judge.observeResources(reading);
    const { snapshot: snap, verdict } = attempt.judge.evaluate(snapshot.t, { protection: this.protectionOn });
    this.updatePeaks(attempt, snap, snapshot.t);
    this.ctx.recorder.sample({
      run_id: attempt.run.id,
      t: snapshot.t,
      cpu_percent: reading.cpuPercent,
      rss_mb: reading.rssBytes / 1048576,
      procs: reading.procs,
      lines: snap.output.linesDelta,
      bytes: snap.output.bytesDelta,
      repetition: snap.output.repetition,
      novelty: snap.output.novelty,
      rate: snap.output.rate,
      silence_s: snap.output.silenceMs / 1000,
    });
    this.handleVerdict(attempt, verdict, snap);
  }

  private reportEscapees(attempt: Attempt): void {
    const { reaper } = this.ctx;
    if (!reaper || !attempt.tracker || attempt.proc instanceof WatchedProcess) return;
    for (const p of attempt.tracker.tracked()) {
      if (p.pgid === attempt.tracker.pgid) continue;
      const id = identityOf(p);
      if (attempt.reportedEscapees.has(id)) continue;
      attempt.reportedEscapees.add(id);
      reaper.trackPid(p.pid, p.startTime);
    }
  }

  private updatePeaks(attempt: Attempt, snap: SignalSnapshot, t: number): void {
    const run = attempt.run;
    const cpu = snap.cpu.peakPercent;
    const rss = snap.memory.peakMb;
    const changed = cpu > run.peak_cpu_percent * 1.05 + 1 || rss > run.peak_rss_mb * 1.05 + 1;
    run.peak_cpu_percent = Math.max(run.peak_cpu_percent, cpu);
    run.peak_rss_mb = Math.max(run.peak_rss_mb, rss);
    this.tally.notePeaks(cpu, rss);
    if (changed && t - attempt.lastPeakSave >= 5000) {
      attempt.lastPeakSave = t;
      this.ctx.recorder.run(run);
    }
  }

  // --------------------------------------------------------------- verdicts

  /** The workspace's protection, a policy input: off, the policy turns kill and restart verdicts into alerts. */
  setProtection(enabled: boolean): void {
    this.protectionOn = enabled;
  }

  private handleVerdict(attempt: Attempt, verdict: Verdict, snap: SignalSnapshot): void {
    this.tally.noteVerdict(verdict, snap.t);
    this.incidents.track(attempt.run, verdict, snap);
    if (verdict.record) this.incidents.recordDecision(attempt.run, verdict);

    switch (verdict.action) {
      case 'kill':
      case 'restart':
        this.intervene(attempt, verdict, snap);
        return;
      case 'alert':
        if (shouldNotify(verdict)) this.announce(attempt, 'alert', verdict, snap);
        return;
      case 'continue':
        if (verdict.intended !== 'continue' && shouldNotify(verdict)) this.announce(attempt, 'held', verdict, snap);
        return;
    }
  }

  private announce(attempt: Attempt, kind: InterventionEvent['kind'], verdict: Verdict | null, snap: SignalSnapshot | null, extra: string[] = []): void {
    if (kind === 'alert' || kind === 'held') this.tally.alerts++;
    const explanation = verdict && snap ? explainVerdict(verdict, snap) : [];
    this.ctx.events.emit('intervention', {
      run: attempt.run,
      kind,
      verdict,
      snapshot: snap,
      incident: this.incidents.current,
      explanation: [...explanation, ...extra].map(redact),
    });
  }

  private intervene(attempt: Attempt, verdict: Verdict, snap: SignalSnapshot): void {
    if (attempt.stopping) return;
    const now = snap.t;
    const kind = verdict.action === 'restart' ? 'restart' : 'kill';
    this.tally.noteIntervention(kind, now);
    attempt.run.intervened = true;
    this.audit(kind === 'kill' ? 'auto_kill' : 'auto_restart', { actor: 'flowforge', reason: verdict.reason }, {
      confidence: verdict.confidence,
      rules: firedRules(verdict),
      incident_id: this.incidents.current?.id ?? null,
    });

    if (kind === 'kill') {
      this.announce(attempt, 'kill', verdict, snap);
      this.beginStop(attempt, 'killed', 'SIGTERM', null, `FlowForge: ${verdict.reason}`);
      return;
    }
    const answer = this.restarts.next(now);
    if (!answer.allowed) {
      this.incidents.budgetSpent(attempt.run, answer.reason, now, { cpu: this.tally.peakCpu, rssMb: this.tally.peakRssMb });
      this.announce(attempt, 'budget_spent', verdict, snap, [answer.reason]);
      this.beginStop(attempt, 'killed', 'SIGTERM', null, answer.reason);
      return;
    }
    this.announce(attempt, 'restart', verdict, snap, [`Restarting in ${formatDelay(answer.delayMs)}.`]);
    this.beginStop(attempt, 'restarted', 'SIGTERM', null, `FlowForge: ${verdict.reason}`);
    this.scheduleRestart(attempt, answer.delayMs);
  }

  private scheduleRestart(attempt: Attempt, delayMs: number, requestId: string | null = null): void {
    const pending: { timer: TimerHandle | null } = { timer: null };
    this.pendingRestart = pending;
    void attempt.finished.then(() => {
      if (this.pendingRestart !== pending) return; // cancelled by a stop meanwhile
      pending.timer = this.ctx.clock.setTimeout(() => {
        this.pendingRestart = null;
        this.startAttempt(requestId);
      }, delayMs);
    });
  }

  private cancelRestart(): boolean {
    const pending = this.pendingRestart;
    if (!pending) return false;
    if (pending.timer) this.ctx.clock.clearTimeout(pending.timer);
    this.pendingRestart = null;
    return true;
  }

  // ------------------------------------------------------------ user actions

  /** Stops the job (and cancels a pending restart). Resolves when it has ended. */
  async stop(by: ActorInfo & { endReason?: EndReason; firstSignal?: NodeJS.Signals }): Promise<JobOutcome> {
    const endReason = by.endReason ?? 'stopped_by_user';
    this.audit(endReason === 'supervisor_shutdown' ? 'shutdown_stop' : 'stop', by);
    const attempt = this.current;
    if (this.cancelRestart() && !attempt) {
      // Between attempts: nothing runs, the job simply ends here.
      this.tally.endOverride = endReason;
      this.finish();
    }
    if (attempt) this.beginStop(attempt, endReason, by.firstSignal ?? 'SIGTERM', by.requestId ?? null, `${by.actor}: ${by.reason}`);
    return this.whenEnded();
  }

  /** A manual restart (user, API, notification button): counted against the restart budget. */
  restart(by: ActorInfo): RestartAnswer {
    const now = this.ctx.clock.now();
    // Budget only: a person asked, so no back-off delay (and the automatic one is left as it was).
    const answer = this.restarts.manual(now);
    if (!answer.allowed) return { ok: false, retryAfterMs: answer.retryAfterMs, reason: answer.reason };
    this.audit('restart', by);
    const attempt = this.current;
    if (attempt) {
      this.beginStop(attempt, 'restarted', 'SIGTERM', by.requestId ?? null, `${by.actor}: ${by.reason}`);
      this.scheduleRestart(attempt, 0, by.requestId ?? null);
      return { ok: true, run: null };
    }
    if (this.pendingRestart) return { ok: true, run: null };
    this.ended = false;
    this.tally.endOverride = null;
    return { ok: true, run: this.startAttempt(by.requestId ?? null) };
  }

  private audit(action: string, by: ActorInfo, details: Record<string, unknown> = {}): void {
    this.ctx.recorder.audit({
      actor: by.actor,
      action,
      reason: by.reason,
      request_id: by.requestId ?? null,
      run_id: this.currentRun?.id ?? null,
      workspace_id: this.spec.workspaceId,
      details,
    });
  }

  /** Forwards a signal (Ctrl+C from a terminal) to the job's process group. */
  signal(sig: NodeJS.Signals): boolean {
    return this.current?.proc.signalGroup(sig) ?? false;
  }

  write(data: string | Buffer): boolean {
    return this.current?.proc.write(data) ?? false;
  }

  /** Backpressure from whoever consumes the output (a slow terminal). */
  pauseOutput(paused: boolean): void {
    const proc = this.current?.proc;
    if (proc instanceof SupervisedProcess) proc.pauseOutput(paused);
  }

  /** Whoever read this stream is gone: stop reading it, so the job meets a closed pipe as it would without us. */
  closeOutput(stream: StreamName): void {
    const proc = this.current?.proc;
    if (proc instanceof SupervisedProcess) proc.closeOutput(stream === 'stdout' ? 0 : 1);
  }

  closeInput(): void {
    this.current?.proc.closeStdin();
  }

  /** Watch mode: output lines the terminal saw, and the command's end. */
  feed(lines: string[], end?: { exitCode: number | null }): void {
    const attempt = this.current;
    if (!attempt) return;
    if (lines.length) attempt.judge.observeOutput('stdout', Buffer.from(lines.join('\n') + '\n'), this.ctx.clock.now());
    if (end && attempt.proc instanceof WatchedProcess) attempt.proc.end(end.exitCode);
  }

  private signalWatched(sig: NodeJS.Signals): boolean {
    const attempt = this.current;
    if (!attempt?.tracker) return false;
    const tracker = attempt.tracker;
    void this.ctx.source.snapshot().then((snap) => {
      for (const p of tracker.members(snap)) {
        try {
          process.kill(p.pid, sig);
        } catch {
          /* already gone */
        }
      }
    });
    return true;
  }

  private outcome(): JobOutcome {
    return this.tally.outcome(this.jobId, this.runs, this.incidents.ids, this.ctx.clock.now());
  }
}

// -------------------------------------------------------------------- helpers

function displayCommand(spec: JobSpec): string {
  if (spec.shell) return [spec.command, ...spec.args].join(' ');
  return [spec.command, ...spec.args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}



/** Alerts back off inside the policy; the verdict says when one is worth telling a person. */
function shouldNotify(v: Verdict): boolean {
  const explicit = (v as Verdict & { notify?: boolean }).notify;
  return explicit ?? v.episode?.phase === 'open';
}



const formatDelay = (ms: number) => (ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`);
