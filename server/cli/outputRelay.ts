// Relays a job's output to our own stdout/stderr byte for byte. A job that
// writes line by line arrives as many tiny chunks; writing each one straight
// on would cost us a system call per line (measured: most of the supervisor's
// CPU for a 2-million-line job). Chunks go out together every few
// milliseconds (or at 64 KB), in their original order, and a consumer that
// cannot keep up pauses the job's output instead of letting memory grow.
import type { StreamName } from '../detect/types';

const FLUSH_BYTES = 64 * 1024;
/** Short enough to be invisible in a terminal, long enough to gather many lines. */
const FLUSH_MS = 4;

export class OutputRelay {
  private queue: { stream: StreamName; chunk: Buffer }[] = [];
  private bytes = 0;
  private scheduled = false;
  private blocked = 0;

  constructor(
    private readonly sinks: Record<StreamName, NodeJS.WritableStream>,
    private readonly setPaused: (paused: boolean) => void,
  ) {}

  push(stream: StreamName, chunk: Buffer): void {
    this.queue.push({ stream, chunk });
    this.bytes += chunk.length;
    if (this.bytes >= FLUSH_BYTES) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setTimeout(() => this.flush(), FLUSH_MS);
    }
  }

  /** Writes everything queued, merging neighbouring chunks of the same stream. */
  flush(): void {
    this.scheduled = false;
    const queue = this.queue;
    this.queue = [];
    this.bytes = 0;
    let i = 0;
    while (i < queue.length) {
      const stream = queue[i]!.stream;
      const parts: Buffer[] = [];
      while (i < queue.length && queue[i]!.stream === stream) parts.push(queue[i++]!.chunk);
      this.write(this.sinks[stream], parts.length === 1 ? parts[0]! : Buffer.concat(parts));
    }
  }

  private write(sink: NodeJS.WritableStream, data: Buffer): void {
    if (sink.write(data)) return;
    if (this.blocked++ === 0) this.setPaused(true);
    sink.once('drain', () => {
      if (--this.blocked === 0) this.setPaused(false);
    });
  }
}
