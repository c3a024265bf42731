// The output of a terminal command, cut into lines and sent to the backend in
// batches (POST /v1/runs/{id}/lines takes at most 1000 lines of 8192
// characters). Batches go out in order, one at a time. A command printing
// faster than the backend takes lines loses the oldest pending ones (counted):
// detection needs the recent pattern, not every line.

export interface LineBatcherOptions {
  send(lines: string[]): Promise<void>;
  flushMs?: number;
  maxLinesPerRequest?: number;
  maxLineChars?: number;
  /** Lines kept while waiting; beyond this the oldest are dropped. */
  maxPending?: number;
  onError?(err: Error): void;
}

export class LineBatcher {
  private partial = '';
  private pending: string[] = [];
  private sending: Promise<void> = Promise.resolve();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private paused = true;
  private inFlight = 0;
  dropped = 0;

  constructor(private readonly o: LineBatcherOptions) {}

  /** Raw terminal data, as it came. */
  push(data: string): void {
    const parts = (this.partial + data).split('\n');
    this.partial = parts.pop() ?? '';
    for (const p of parts) this.add(p);
    this.schedule();
  }

  /** Sending starts (the run it feeds exists now). */
  resume(): void {
    this.paused = false;
    this.schedule();
  }

  /** Sends everything, the partial last line included, and waits until it is out. */
  async end(): Promise<void> {
    if (this.partial) this.add(this.partial);
    this.partial = '';
    this.paused = false;
    do {
      this.flush();
      await this.sending;
    } while (this.pending.length > 0);
  }

  private add(line: string): void {
    const max = this.o.maxLineChars ?? 8192;
    this.pending.push(line.endsWith('\r') ? line.slice(0, -1).slice(0, max) : line.slice(0, max));
    const limit = this.o.maxPending ?? 20_000;
    if (this.pending.length > limit) {
      const excess = this.pending.length - limit;
      this.pending.splice(0, excess);
      this.dropped += excess;
    }
  }

  private schedule(): void {
    if (this.paused || this.timer || this.pending.length === 0) return;
    this.timer = setTimeout(() => this.flush(), this.o.flushMs ?? 250);
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const size = this.o.maxLinesPerRequest ?? 1000;
    // At most two requests queued: the rest waits in `pending`, where the oldest lines give way.
    while (this.pending.length > 0 && this.inFlight < 2) {
      const batch = this.pending.splice(0, size);
      this.inFlight++;
      this.sending = this.sending
        .then(() => this.o.send(batch))
        .catch((err: Error) => this.o.onError?.(err))
        .finally(() => {
          this.inFlight--;
          this.schedule();
        });
    }
  }
}
