// The output of a terminal command, cut into lines and sent to the backend in
// batches that POST /v1/runs/{id}/lines accepts (at most 1000 lines of 8192
// characters, and a body under the API's 64 KB). Batches go out in order,
// back to back while full ones are waiting, otherwise after a short pause.
// Only when the backend cannot keep up are the oldest pending lines dropped
// (counted): every dropped stretch leaves a gap in the stream, and gaps make a
// counting loop look like progress to the detector, so dropping is the last
// resort, never the routine.

export interface LineBatcherOptions {
  send(lines: string[]): Promise<void>;
  flushMs?: number;
  maxLinesPerRequest?: number;
  /** Bytes of JSON per request, all lines together (the API takes bodies up to 64 KB). */
  maxCharsPerRequest?: number;
  maxLineChars?: number;
  /** Lines kept while waiting; beyond this the oldest are dropped. */
  maxPending?: number;
  onError?(err: Error): void;
}

/** Requests on their way at once. */
const MAX_IN_FLIGHT = 2;

export class LineBatcher {
  private partial = '';
  private pending: string[] = [];
  private pendingChars = 0;
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
    this.trim(this.maxPending);
    // `sending` moves on while we wait (each finished request schedules the next): wait until all is out.
    do {
      this.flush();
      await this.sending;
    } while (this.pending.length > 0 || this.inFlight > 0);
  }

  private get maxPending(): number {
    return this.o.maxPending ?? 100_000;
  }

  private add(line: string): void {
    const max = this.o.maxLineChars ?? 8192;
    const text = (line.endsWith('\r') ? line.slice(0, -1) : line).slice(0, max);
    this.pending.push(text);
    this.pendingChars += text.length;
    // Trimmed in bulk (amortised): a flood adds lines by the hundred thousand per second.
    if (this.pending.length > 2 * this.maxPending) this.trim(this.maxPending);
  }

  private trim(limit: number): void {
    const excess = this.pending.length - limit;
    if (excess <= 0) return;
    for (let i = 0; i < excess; i++) this.pendingChars -= this.pending[i]!.length;
    this.pending = this.pending.slice(excess);
    this.dropped += excess;
  }

  private fullBatchWaiting(): boolean {
    return this.pending.length >= (this.o.maxLinesPerRequest ?? 1000) || this.pendingChars >= this.maxChars();
  }

  private maxChars(): number {
    return this.o.maxCharsPerRequest ?? 40_000;
  }

  private schedule(): void {
    if (this.paused || this.pending.length === 0) return;
    if (this.fullBatchWaiting()) {
      this.flush();
      return;
    }
    this.timer ??= setTimeout(() => this.flush(), this.o.flushMs ?? 100);
  }

  /** The next batch: up to the line limit and the character budget (at least one line). */
  private take(): string[] {
    const maxLines = this.o.maxLinesPerRequest ?? 1000;
    let n = 0;
    let chars = 0;
    while (n < this.pending.length && n < maxLines) {
      const len = jsonSize(this.pending[n]!);
      if (n > 0 && chars + len > this.maxChars()) break;
      chars += len;
      n++;
    }
    const batch = this.pending.splice(0, n);
    for (const l of batch) this.pendingChars -= l.length;
    return batch;
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    while (this.pending.length > 0 && this.inFlight < MAX_IN_FLIGHT) {
      const batch = this.take();
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

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** The bytes a line takes in the JSON body (escapes and UTF-8 included), plus its comma. */
function jsonSize(line: string): number {
  return PRINTABLE_ASCII.test(line) && !/["\\]/.test(line) ? line.length + 3 : Buffer.byteLength(JSON.stringify(line)) + 1;
}
