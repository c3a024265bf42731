// The terminal of a `flowforge` task: starts the job through POST /v1/runs when
// VS Code opens it, streams the job's output (GET /v1/stream?run_id=&output=1)
// from its first byte by offset (what the stream did not carry is read with
// GET /v1/runs/{id}/output?after=, see OutputCursor), prints a banner when
// FlowForge steps in, follows restarts to the next attempt, forwards Ctrl+C as
// SIGINT to the job's process group and typed lines to its stdin, and ends
// with the job's exit code. Closing the terminal stops the job.
import type * as vscode from 'vscode';
import type { z } from 'zod';
import type { StartRunBody } from '../../server/shared/protocol/api';
import { TimelineEvent, type Incident, type Run } from '../../server/shared/protocol/domain';
import type { Logger } from '../../server/util/logger';
import type { ApiClient, EndpointSource } from '../backend/apiClient';
import type { BackendEvents, Unsubscribe } from '../backend/backendEvents';
import { EventStream, type StreamEvent } from '../backend/eventStream';
import { recordOf } from '../backend/journal';
import { EventEmitter } from '../util/eventEmitter';
import { OutputCursor } from './outputCursor';
import { auditBanner, endBanner, exitCodeOf, heldBanner, incidentBanner, paint } from './runOutcome';
import { TerminalWriter } from './terminalWriter';

export interface PtyDeps {
  client: ApiClient;
  events: BackendEvents;
  endpoint: EndpointSource;
  logger: Logger;
  /** Our own audit actor (`api:vscode`): our own stops need no banner. */
  actor: string;
}

/** After the last write, xterm still renders asynchronously (vscode#92868). */
const CLOSE_DELAY_MS = 150;
/** A second Ctrl+C within this time stops the job instead of interrupting it. */
const DOUBLE_CTRL_C_MS = 3000;

export class SupervisedPty implements vscode.Pseudoterminal {
  private readonly writeEmitter = new EventEmitter<string>();
  private readonly closeEmitter = new EventEmitter<number>();
  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;

  private readonly writer = new TerminalWriter({ write: (t) => this.writeEmitter.fire(t) });
  private stream: EventStream | null = null;
  private jobWatch: Unsubscribe | null = null;
  private run: Run | null = null;
  private nextAttempt: { run: Run; seq: number } | null = null;
  private readonly incidents = new Map<string, Incident>();
  private readonly bannered = new Set<string>();
  private failedReason: string | null = null;
  /** A held-back stop is told once per job, not at every decision. */
  private heldShown = false;
  /** The last banner, repeated at the end when the job's output buried it. */
  private lastBanner: { text: string; buried: boolean } | null = null;
  private inputLine = '';
  private lastCtrlC = 0;
  private finished = false;

  constructor(
    private readonly deps: PtyDeps,
    private readonly body: z.input<typeof StartRunBody>,
  ) {}

  open(dims: vscode.TerminalDimensions | undefined): void {
    this.writer.open();
    void this.start(dims).catch((err: Error) => {
      this.writer.line(paint.red(`■ FlowForge could not start this task: ${err.message}`));
      this.finish(127);
    });
  }

  /** The person closed the terminal (or the window is going away): the job stops with it. */
  close(): void {
    const run = this.run;
    // Between two attempts the job still lives (a restart is pending): stopping it cancels the restart.
    if (!this.finished && run && (run.ended_at === null || run.end_reason === 'restarted')) {
      this.deps.client.kill(run.id, 'terminal: the task terminal was closed').catch((err: Error) => this.deps.logger.debug(`stop on close: ${err.message}`));
    }
    this.finished = true;
    this.dispose();
  }

  handleInput(data: string): void {
    const run = this.run;
    if (!run || this.finished) return;
    for (const ch of data) {
      if (ch === '\x03') this.interrupt(run);
      else if (ch === '\r') {
        this.writeEmitter.fire('\r\n');
        this.send(run, `${this.inputLine}\n`);
        this.inputLine = '';
      } else if (ch === '\x7f') {
        if (this.inputLine) this.writeEmitter.fire('\b \b');
        this.inputLine = this.inputLine.slice(0, -1);
      } else if (ch >= ' ') {
        this.inputLine += ch;
        this.writeEmitter.fire(ch);
      }
    }
  }

  // ------------------------------------------------------------------ the job

  private async start(dims: vscode.TerminalDimensions | undefined): Promise<void> {
    const { client } = this.deps;
    const seq = await client.latestSeq();
    const env = { ...(dims ? { COLUMNS: String(dims.columns), LINES: String(dims.rows) } : {}), ...this.body.env };
    const run = await client.startRun({ ...this.body, env });
    if (this.finished) {
      await client.kill(run.id, 'terminal: the task terminal was closed before the job started').catch(() => undefined);
      return;
    }
    this.writer.line(paint.dim(`FlowForge ▸ ${run.command}  (profile ${run.profile}; on runaway: ${run.on_runaway}; run ${run.id})`));
    this.jobWatch = this.deps.events.on('journal', (e) => this.onJobEvent(e, run.job_id));
    this.attach(run, seq);
  }

  /**
   * Streams one attempt of the job. The journal resumes after `afterSeq` (taken
   * before the attempt started, so none of its events is missed); the output
   * starts at its first byte, whenever the stream connects.
   */
  private attach(run: Run, afterSeq: number): void {
    this.run = run;
    const cursor = new OutputCursor({
      read: (after) => this.deps.client.runOutputAfter(run.id, after),
      write: (text, read) => this.showOutput(text, read),
      deliver: (e) => this.onRunEvent(e),
      logger: this.deps.logger,
    });
    this.stream = new EventStream({
      endpoint: this.deps.endpoint,
      filter: { run_id: run.id, output: true, samples: false },
      lastEventId: afterSeq,
      logger: this.deps.logger,
      onEvent: (e) => cursor.push(e),
      // Every (re)connection: the output it missed meanwhile is read by offset.
      onOpen: () => cursor.resync(),
    });
  }

  /** `backlog`: a burst from catching up (see OutputCursor), shown whole rather than thinned like a flood. */
  private showOutput(text: string, backlog: boolean): void {
    if (this.finished) return;
    if (backlog) this.writer.backlog(text);
    else this.writer.write(text);
    if (this.lastBanner) this.lastBanner.buried = true;
  }

  private onRunEvent(e: StreamEvent): void {
    if (this.finished) return;
    const event = TimelineEvent.safeParse(e.data);
    if (!event.success) return;
    const incident = recordOf(event.data, 'incident');
    if (incident) {
      this.incidents.set(incident.id, incident);
      // One banner per incident and action: an agent's loop is nudged, then blocked, in one incident.
      const key = `${incident.id}:${incident.action}`;
      const banner = this.bannered.has(key) ? null : incidentBanner(incident);
      if (banner) {
        this.bannered.add(key);
        this.banner(banner);
      }
      return;
    }
    const audit = recordOf(event.data, 'audit');
    if (audit) {
      const linked = typeof audit.details.incident_id === 'string' ? this.incidents.get(audit.details.incident_id) : undefined;
      const banner = auditBanner(audit, linked, this.deps.actor);
      if (banner) {
        if (linked) this.bannered.add(linked.id);
        this.banner(banner);
      }
      return;
    }
    const decision = recordOf(event.data, 'decision');
    if (decision) {
      const banner = this.heldShown ? null : heldBanner(decision);
      if (banner) {
        this.heldShown = true;
        this.banner(banner);
      }
      return;
    }
    const lifecycle = recordOf(event.data, 'lifecycle');
    if (lifecycle?.phase === 'FAILED') this.failedReason = lifecycle.reason;
    const run = recordOf(event.data, 'run');
    if (run && run.id === this.run?.id && run.ended_at !== null) this.onAttemptEnded(run);
  }

  private banner(text: string): void {
    this.writer.line(text);
    this.lastBanner = { text, buried: false };
  }

  private onAttemptEnded(run: Run): void {
    this.run = run;
    this.stream?.dispose();
    this.stream = null;
    if (run.end_reason !== 'restarted') {
      const banner = endBanner(run, this.failedReason) ?? (this.lastBanner?.buried ? this.lastBanner.text : null);
      if (banner) this.writer.line(banner);
      this.finish(exitCodeOf(run));
      return;
    }
    this.writer.line(paint.dim(`FlowForge ▸ attempt ${run.attempt} ended; waiting for attempt ${run.attempt + 1}`));
    const next = this.nextAttempt;
    this.nextAttempt = null;
    if (next) this.attach(next.run, next.seq);
  }

  /** The job's other attempts, and a stop that lands between two attempts. */
  private onJobEvent(e: TimelineEvent, jobId: string): void {
    if (this.finished) return;
    const run = recordOf(e, 'run');
    if (run && run.job_id === jobId && run.id !== this.run?.id && run.ended_at === null && run.attempt > (this.run?.attempt ?? 0)) {
      if (this.nextAttempt?.run.id === run.id) return;
      const next = { run, seq: e.seq - 1 };
      if (this.run?.ended_at !== null && this.run?.end_reason === 'restarted') this.attach(next.run, next.seq);
      else this.nextAttempt = next;
      return;
    }
    const audit = recordOf(e, 'audit');
    const waiting = this.run?.ended_at !== null && this.run?.end_reason === 'restarted';
    if (audit && waiting && audit.run_id === this.run?.id && (audit.action === 'stop' || audit.action === 'shutdown_stop')) {
      this.writer.line(paint.yellow(`■ Stopped by ${audit.actor} before the next attempt: ${audit.reason}`));
      this.finish(130);
    }
  }

  // ------------------------------------------------------------------ input

  private interrupt(run: Run): void {
    const now = Date.now();
    const twice = now - this.lastCtrlC < DOUBLE_CTRL_C_MS;
    this.lastCtrlC = now;
    this.writeEmitter.fire('^C\r\n');
    this.inputLine = '';
    const { client, logger } = this.deps;
    if (twice) {
      this.writer.line(paint.dim('FlowForge ▸ stopping the job (Ctrl+C twice)'));
      client.kill(run.id, 'terminal: Ctrl+C pressed twice').catch((err: Error) => logger.debug(`stop: ${err.message}`));
      return;
    }
    client
      .signal(run.id, 'SIGINT')
      .then(() => this.writer.line(paint.dim('FlowForge ▸ SIGINT sent to the job (press Ctrl+C again to stop it)')))
      .catch((err: Error) => this.writer.line(paint.dim(`FlowForge ▸ could not interrupt the job: ${err.message}`)));
  }

  private send(run: Run, text: string): void {
    this.deps.client.input(run.id, text).catch((err: Error) => this.writer.line(paint.dim(`FlowForge ▸ input not delivered: ${err.message}`)));
  }

  // ------------------------------------------------------------------ end

  private finish(code: number): void {
    if (this.finished) return;
    this.finished = true;
    this.deps.logger.info(`task "${this.body.name ?? this.body.command}" ended with exit code ${code}${this.run ? ` (run ${this.run.id})` : ''}`);
    this.writer.flush(true);
    this.dispose();
    setTimeout(() => this.closeEmitter.fire(code), CLOSE_DELAY_MS);
  }

  private dispose(): void {
    this.stream?.dispose();
    this.stream = null;
    this.jobWatch?.dispose();
    this.jobWatch = null;
    this.writer.dispose();
  }
}
