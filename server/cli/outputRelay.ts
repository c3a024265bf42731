// Relays a job's output to our own stdout/stderr byte for byte, each chunk as
// it was read (no copy, no per-line work: the reader already gathers a slow
// job's lines into one read, see supervisedProcess.ts). A consumer that cannot
// keep up pauses the job's output instead of letting memory grow.
//
// When the reader of one of our streams goes away (`flowforge run … | head -1`)
// that stream stops being relayed and our end of the job's pipe is closed: the
// job meets the closed pipe exactly as it would without FlowForge (SIGPIPE, or
// EPIPE where it ignores the signal) and decides for itself whether to go on.
import type { StreamName } from '../detect/types';

export interface RelayControl {
  /** Pause (true) or resume (false) reading the job's output. */
  setPaused(paused: boolean): void;
  /** Stop reading one of the job's streams and close our end of its pipe. */
  closeOutput(stream: StreamName): void;
}

export class OutputRelay {
  private readonly blocked = new Set<StreamName>();
  private readonly lost = new Set<StreamName>();

  constructor(
    private readonly sinks: Record<StreamName, NodeJS.WritableStream>,
    private readonly control: RelayControl,
  ) {
    for (const stream of ['stdout', 'stderr'] as const) {
      // EPIPE and friends arrive as 'error' events; unhandled they would end the supervisor mid-run.
      sinks[stream].on('error', () => this.lose(stream));
    }
  }

  /** Streams whose reader has gone. */
  get closed(): ReadonlySet<StreamName> {
    return this.lost;
  }

  push(stream: StreamName, chunk: Buffer): void {
    if (this.lost.has(stream)) {
      // A restarted attempt has a fresh pipe: it meets the closed pipe too.
      this.control.closeOutput(stream);
      return;
    }
    const sink = this.sinks[stream];
    if (sink.write(chunk) || this.blocked.has(stream)) return;
    if (this.blocked.size === 0) this.control.setPaused(true);
    this.blocked.add(stream);
    sink.once('drain', () => this.unblock(stream));
  }

  /** Resolves once everything relayed so far has been handed to the operating system (or its reader is gone). */
  async finish(): Promise<void> {
    await Promise.all(
      (['stdout', 'stderr'] as const).map((stream) => {
        const sink = this.sinks[stream] as NodeJS.WritableStream & { writableLength?: number };
        if (this.lost.has(stream) || !sink.writableLength) return undefined;
        return new Promise<void>((resolve) => {
          sink.once('drain', resolve);
          sink.once('error', () => resolve());
          sink.once('close', resolve);
        });
      }),
    );
  }

  private unblock(stream: StreamName): void {
    if (!this.blocked.delete(stream)) return;
    if (this.blocked.size === 0) this.control.setPaused(false);
  }

  private lose(stream: StreamName): void {
    if (this.lost.has(stream)) return;
    this.lost.add(stream);
    this.unblock(stream);
    this.control.closeOutput(stream);
  }
}
