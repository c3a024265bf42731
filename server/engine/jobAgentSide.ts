// What a job keeps for the agent it may be running: the hook channel of each
// attempt (nudge, block, stop: the ladder), the endpoint its telemetry reports
// to (budgets), and flowforge-feedback.md, written when FlowForge stops an
// attempt and handed to the next one. Kept apart from job.ts, whose business is
// the job's states and attempts.
import { existsSync } from 'node:fs';
import { AgentLink } from '../agents/agentLink';
import { AgentUsageLink } from '../agents/costLink';
import { feedbackPath, feedbackText, writeFeedback } from '../agents/feedback';
import type { Verdict } from '../policy/types';
import type { Run } from '../shared/protocol/domain';
import type { Attempt } from './attempt';
import type { IncidentBook } from './incidentBook';
import type { JobContext, JobSpec } from './jobSpec';

export class JobAgentSide {
  /** The feedback file FlowForge wrote when it last stopped an attempt (handed to the next one). */
  private feedbackWritten: string | null = null;

  constructor(
    private readonly spec: JobSpec,
    private readonly ctx: JobContext,
    private readonly incidents: IncidentBook,
    private readonly protectionOn: () => boolean,
  ) {}

  /** FlowForge stops the job: flowforge-feedback.md says why, for the next attempt (or the next run). */
  leaveFeedback(run: Run, verdict: Verdict, restarting: boolean): void {
    const path = feedbackPath(this.spec.cwd, this.spec.feedbackFile);
    if (!path) return;
    try {
      writeFeedback(path, feedbackText(run, verdict, restarting));
      this.feedbackWritten = path;
    } catch (err) {
      this.ctx.logger.warn(`${this.spec.name}: could not write ${path}`, { error: (err as Error).message });
    }
  }

  /** The feedback an attempt gets: what FlowForge wrote when it stopped the last one, or (first attempt, injectFeedback) a file left by an earlier run. */
  feedbackFor(attemptNo: number): string | null {
    if (attemptNo > 1) return this.feedbackWritten;
    const path = this.spec.injectFeedback ? feedbackPath(this.spec.cwd, this.spec.feedbackFile) : null;
    return path && existsSync(path) ? path : null;
  }

  /** Ladder steps taken after the last tick of an attempt that has ended (an agent told to stop may exit first): recorded, not acted on. */
  recordLastSteps(attempt: Attempt): void {
    const last = attempt.agentVerdicts();
    for (const v of last?.verdicts ?? []) {
      this.incidents.track(attempt.run, v, last!.snap);
      this.incidents.recordDecision(attempt.run, v);
    }
  }

  openAgentLink(run: Run): AgentLink | null {
    const channel = this.ctx.agentChannel;
    if (!channel) return null;
    const host = {
      now: () => this.ctx.clock.now(),
      protectionOn: this.protectionOn,
      incident: () => {
        const inc = this.incidents.current;
        return inc ? { id: inc.id, title: inc.title, reason: inc.reason } : null;
      },
    };
    return new AgentLink(channel, run.id, this.spec.settings, host, this.ctx.logger);
  }

  /** A run with agent telemetry gets its own endpoint on the receiver; without a receiver its budgets cannot act, which is said once. */
  openUsageLink(run: Run): AgentUsageLink | null {
    // A watched terminal command was not started by FlowForge: its environment is not ours to set.
    if (!this.spec.settings.agentTelemetry || this.spec.watchShellPid !== undefined) return null;
    const receiver = this.ctx.otlpReceiver;
    if (!receiver) {
      if (run.attempt === 1) this.ctx.logger.warn(`${this.spec.name}: agent telemetry was asked for, but no receiver is open; budgets are not applied`, { run_id: run.id });
      return null;
    }
    return new AgentUsageLink(receiver, run.id, () => this.ctx.clock.now());
  }
}
