// One attempt of a job: its run record, its process (spawned, or a terminal
// command being watched), the tree it owns, its judge, and how it stops and
// is wrapped up. The job decides when; the attempt knows how.
import { FEEDBACK_ENV, readFeedback } from '../agents/feedback';
import type { AgentLink } from '../agents/agentLink';
import type { AgentUsageLink } from '../agents/costLink';
import type { SignalSnapshot, StreamName } from '../detect/types';
import type { PolicyInputs } from '../policy/policyEngine';
import type { Verdict } from '../policy/types';
import type { EndReason, Run } from '../shared/protocol/domain';
import { redact, redactArgv } from '../shared/redact';
import { endDescription } from '../shared/runEnd';
import { buildChildEnv } from '../supervisor/childEnv';
import { identityOf, type ProcessSnapshot } from '../supervisor/processTable';
import { SupervisedProcess, type ExitInfo } from '../supervisor/supervisedProcess';
import { stopTree, type StopResult } from '../supervisor/teardown';
import { TreeTracker } from '../supervisor/treeTracker';
import { WatchedProcess } from '../supervisor/watchedProcess';
import { waitAtMost } from '../util/clock';
import { newId } from '../util/ids';
import type { Judge } from './judge';
import { displayCommand, type JobContext, type JobSpec } from './jobSpec';

type JobProcess = SupervisedProcess | WatchedProcess;

/** How long an exited job's output may still drain before its pipes are let go. */
const OUTPUT_DRAIN_MS = 300;
/** A changed peak is saved to the run record at most this often. */
const PEAK_SAVE_MS = 5000;

export interface AttemptTick {
  snap: SignalSnapshot;
  verdict: Verdict;
}

export class Attempt {
  private process: JobProcess | null = null;
  private treeTracker: TreeTracker | null = null;
  private readonly judge: Judge;
  private readonly token: string;
  private readonly reportedEscapees = new Set<string>();
  private stopping: Promise<StopResult> | null = null;
  private endReason: EndReason | null = null;
  private lastPeakSave: number;
  private exit: Promise<ExitInfo> | null = null;
  /** The latest tick's signals (what ladder steps taken after it are recorded with). */
  private lastSnap: SignalSnapshot | null = null;

  constructor(
    readonly run: Run,
    private readonly spec: JobSpec,
    private readonly ctx: JobContext,
    /** The agent channel's link for this attempt (the tool-call ladder), if there is a channel. */
    private readonly agent: AgentLink | null = null,
    /** Feedback a previous attempt left (flowforge-feedback.md), handed to this one. */
    private readonly feedback: string | null = null,
    /** The agent's telemetry (token and cost counters), when the run has it. */
    private readonly usage: AgentUsageLink | null = null,
  ) {
    const now = ctx.clock.now();
    this.lastPeakSave = now;
    this.token = newId('job', now);
    this.judge = ctx.judgeFactory(spec.settings, run.id, now, ctx.clock);
  }

  /** Records the run as starting, spawns (or starts watching) and, once there is a pid, records it running. */
  start(requestId: string | null): void {
    const { run, ctx } = this;
    ctx.recorder.run(run, { summary: `${run.name}: attempt ${run.attempt} starting`, request_id: requestId });
    ctx.recorder.lifecycle(run, 'STARTING', run.attempt === 1 ? 'started' : 'restarted', requestId);
    const proc = (this.process = this.launch());
    this.injectFeedback(proc);
    this.exit = proc.exited;
    const pid = proc.pid;
    if (pid === undefined) return; // it failed to start: its exit says why
    const watched = this.watched;
    this.treeTracker = new TreeTracker(pid, watched ? null : pid, watched);
    run.pid = pid;
    run.pgid = watched ? null : pid;
    if (!watched) {
      ctx.reaper?.trackGroup(pid);
      ctx.reaper?.trackToken(this.token);
    }
    ctx.recorder.lifecycle(run, 'RUNNING', `pid ${pid}`, requestId);
    ctx.recorder.run(run); // after the lifecycle, so the stored run says RUNNING
  }

  get proc(): JobProcess {
    if (!this.process) throw new Error(`attempt ${this.run.attempt} of ${this.run.name} has not started`);
    return this.process;
  }

  /** The tree it owns; null until it has a pid (and for ever when it failed to start). */
  get tracker(): TreeTracker | null {
    return this.treeTracker;
  }

  get exited(): Promise<ExitInfo> {
    if (!this.exit) throw new Error(`attempt ${this.run.attempt} of ${this.run.name} has not started`);
    return this.exit;
  }

  private get watched(): boolean {
    return this.spec.watchShellPid !== undefined;
  }

  private launch(): JobProcess {
    const { spec, ctx, run } = this;
    if (spec.watchShellPid !== undefined) return new WatchedProcess(spec.watchShellPid, (sig) => this.signalWatched(sig));
    const onOutput = (stream: StreamName) => (chunk: Buffer) => {
      this.judge.observeOutput(stream, chunk, ctx.clock.now());
      ctx.events.emit('output', { run_id: run.id, job_id: run.job_id, stream, chunk });
    };
    return SupervisedProcess.start(
      {
        command: spec.command,
        args: spec.args,
        shell: spec.shell,
        cwd: spec.cwd,
        env: this.withTelemetry({
          ...buildChildEnv(ctx.baseEnv, spec.env, { runId: run.id, token: this.token, attempt: run.attempt, agentChannel: this.agent?.capability }),
          ...(this.feedback ? { [FEEDBACK_ENV]: this.feedback } : {}),
        }),
        stdin: spec.stdin,
      },
      { onStdout: onOutput('stdout'), onStderr: onOutput('stderr') },
    );
  }

  /** Points the agent's OpenTelemetry exporter at this run's receiver (runs with agent telemetry). */
  private withTelemetry(env: Record<string, string>): Record<string, string> {
    return this.usage ? this.usage.applyEnv(env) : env;
  }

  /** With injectFeedback, the feedback file is the attempt's whole stdin (as the original's --inject-feedback). */
  private injectFeedback(proc: JobProcess): void {
    if (!this.spec.injectFeedback || this.spec.stdin !== 'pipe') return;
    // No feedback yet: an empty stdin, so that a job reading it does not wait for ever.
    const text = this.feedback ? readFeedback(this.feedback) : null;
    if (text) proc.write(text);
    proc.closeStdin();
  }

  /** Where a sampler should start looking for this attempt's processes: its root and every process it knows. */
  processSeeds(): number[] {
    if (!this.tracker) return [];
    return [this.tracker.rootPid, ...this.tracker.tracked().map((p) => p.pid)];
  }

  /** One sampling tick: the tree's resources, the judge's verdict, the sample and peaks recorded. */
  observe(snapshot: ProcessSnapshot, inputs: PolicyInputs): AttemptTick | null {
    if (!this.tracker) return null;
    const reading = this.tracker.observe(snapshot);
    this.reportEscapees();
    this.judge.observeResources(reading);
    if (this.usage) this.judge.observeAgentUsage?.(this.usage.reading());
    const { snapshot: snap, verdict } = this.judge.evaluate(snapshot.t, inputs);
    this.lastSnap = snap;
    this.updatePeaks(snap);
    this.ctx.recorder.sample({
      run_id: this.run.id,
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
    this.ctx.events.emit('resources', { run: this.run, reading });
    return { snap, verdict };
  }

  /** Escapees (other group or session) go to the reaper one by one: it cannot find them by group. */
  private reportEscapees(): void {
    const { reaper } = this.ctx;
    if (!reaper || !this.tracker || this.watched) return;
    for (const p of this.tracker.tracked()) {
      if (p.pgid === this.tracker.pgid) continue;
      const id = identityOf(p);
      if (this.reportedEscapees.has(id)) continue;
      this.reportedEscapees.add(id);
      reaper.trackPid(p.pid, p.startTime);
    }
  }

  /** Keeps the run's peaks; saves the run when they grew noticeably (not every tick: it is a journaled write). */
  private updatePeaks(snap: SignalSnapshot): void {
    const run = this.run;
    const cpu = snap.cpu.peakPercent;
    const rss = snap.memory.peakMb;
    const changed = cpu > run.peak_cpu_percent * 1.05 + 1 || rss > run.peak_rss_mb * 1.05 + 1;
    run.peak_cpu_percent = Math.max(run.peak_cpu_percent, cpu);
    run.peak_rss_mb = Math.max(run.peak_rss_mb, rss);
    if (changed && snap.t - this.lastPeakSave >= PEAK_SAVE_MS) {
      this.lastPeakSave = snap.t;
      this.ctx.recorder.run(run);
    }
  }

  /** Stops the tree (once: a second request while stopping changes nothing here). */
  beginStop(endReason: EndReason, firstSignal: NodeJS.Signals, requestId: string | null, why: string): void {
    if (this.stopping) return;
    this.endReason = endReason;
    this.ctx.recorder.lifecycle(this.run, 'STOPPING', why, requestId);
    this.stopping = this.stopTree(firstSignal);
    // A watched command has no exit event of its own once its processes are gone.
    if (this.proc instanceof WatchedProcess) {
      const proc = this.proc;
      void this.stopping.then(() => proc.end(null));
    }
  }

  private stopTree(firstSignal: NodeJS.Signals): Promise<StopResult> {
    if (!this.tracker) return Promise.resolve({ confirmed: true, escalated: false, survivors: [], durationMs: 0 });
    return stopTree(this.ctx.source, this.tracker, {
      graceMs: this.spec.settings.graceMs,
      firstSignal,
      token: this.watched ? undefined : this.token,
    });
  }

  /**
   * After the process exited: stop whatever it left behind (when it ended by
   * itself), let the output drain, release the pipes, forget the tree in the
   * reaper, and record how the run ended.
   */
  async wrapUp(info: ExitInfo): Promise<void> {
    const { run, ctx } = this;
    if (info.startError) this.endReason = 'failed_to_start';
    else if (!this.stopping && this.tracker) {
      // The job ended by itself; whatever it left behind goes with it.
      this.endReason ??= 'exited';
      const leftovers = this.tracker.members(await ctx.source.snapshot());
      if (leftovers.length > 0) {
        ctx.logger.info(`${run.name}: stopping ${leftovers.length} process(es) left behind`, { run_id: run.id });
        this.stopping = this.stopTree('SIGTERM');
      }
    }
    const stopResult = this.stopping ? await this.stopping : null;
    // An escaped descendant can hold the output pipes for ever: wait a little, then let go.
    await waitAtMost(ctx.clock, this.proc.outputDone, OUTPUT_DRAIN_MS);
    this.proc.releasePipes();
    this.forgetInReaper();

    run.ended_at = ctx.clock.now();
    run.exit_code = info.exitCode;
    run.signal = info.signal;
    run.end_reason = this.endReason ?? 'exited';
    const failed = info.startError !== null || (stopResult !== null && !stopResult.confirmed);
    const why = info.startError ?? endDescription(run, stopResult);
    ctx.recorder.lifecycle(run, failed ? 'FAILED' : 'STOPPED', why);
    ctx.recorder.run(run, { summary: `${run.name}: ${why}` });
    if (stopResult && !stopResult.confirmed) ctx.logger.error(`${run.name}: processes survived the stop`, { pids: stopResult.survivors });
  }

  /**
   * The agent ladder's steps (nudge, block, stop) since the last tick, as
   * verdicts; with no tick yet there are no signals to record them with.
   */
  agentVerdicts(): { snap: SignalSnapshot; verdicts: Verdict[] } | null {
    if (!this.agent || !this.lastSnap) return null;
    return { snap: this.lastSnap, verdicts: this.agent.verdicts(this.lastSnap) };
  }

  /** The run has ended: its agent capability is worthless from now on. */
  closeAgentLink(): void {
    this.agent?.close();
    this.usage?.close();
  }

  private forgetInReaper(): void {
    const reaper = this.ctx.reaper;
    if (!reaper || !this.run.pgid) return;
    reaper.forgetGroup(this.run.pgid);
    reaper.forgetToken(this.token);
    for (const id of this.reportedEscapees) reaper.forgetPid(Number(id.split(':')[0]));
  }

  // ------------------------------------------------------- input and output

  /** Watch mode: output lines the terminal saw, and the command's end. */
  feed(lines: string[], end?: { exitCode: number | null }): void {
    if (lines.length) this.judge.observeOutput('stdout', Buffer.from(lines.join('\n') + '\n'), this.ctx.clock.now());
    if (end && this.proc instanceof WatchedProcess) this.proc.end(end.exitCode);
  }

  /** Backpressure from whoever consumes the output (a slow terminal). */
  pauseOutput(paused: boolean): void {
    if (this.proc instanceof SupervisedProcess) this.proc.pauseOutput(paused);
  }

  /** Whoever read this stream is gone: stop reading it (the job then meets a closed pipe). */
  closeOutput(stream: StreamName): void {
    if (this.proc instanceof SupervisedProcess) this.proc.closeOutput(stream === 'stdout' ? 0 : 1);
  }

  private signalWatched(sig: NodeJS.Signals): boolean {
    const tracker = this.tracker;
    if (!tracker) return false;
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
}

/** A new run record for attempt `attemptNo` of the job (the first run's id is the job's). */
export function newRun(jobId: string, attemptNo: number, spec: JobSpec, now: number): Run {
  return {
    id: attemptNo === 1 ? jobId : newId('run', now),
    job_id: jobId,
    attempt: attemptNo,
    name: spec.name,
    command: redact(displayCommand(spec)),
    argv: redactArgv([spec.command, ...spec.args]),
    shell: spec.shell,
    cwd: spec.cwd,
    workspace_id: spec.workspaceId,
    source: spec.source,
    profile: spec.settings.profile,
    on_runaway: spec.settings.onRunaway,
    restartable: spec.restartable,
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
    owner: spec.owner,
  };
}
