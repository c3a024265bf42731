// Where a task terminal is in its job's output, by byte offset. The backend
// numbers every byte of a run's output; each live `output` event says which
// bytes it carries ([offset, end)) and GET /v1/runs/{id}/output?after=N
// returns everything from byte N on. So the terminal shows byte N next and
// nothing else: an event that ends at or before N was shown already; one that
// starts at N is shown; anything else (the stream attached mid-run, dropped
// output while it replayed, reconnected) means bytes are missing, and they are
// read from the API. Stream events are handed on in the order they came, held
// while a read is under way, so a banner never overtakes the output before it.
import { StreamOutput as StreamOutputSchema, type RunOutput, type StreamOutput } from '../../server/shared/protocol/api';
import type { Logger } from '../../server/util/logger';
import type { StreamEvent } from '../backend/eventStream';

export interface OutputCursorOptions {
  /** GET /v1/runs/{id}/output?after= for this cursor's run. */
  read(after: number): Promise<Pick<RunOutput, 'truncated' | 'offset' | 'end' | 'chunks'>>;
  /**
   * Output to show, in order, each byte once. `backlog`: it came from the API,
   * or was held while a read was under way, so it arrives in one burst that
   * says nothing about how fast the job prints.
   */
  write(text: string, backlog: boolean): void;
  /** Every stream event that is not output, in the order it came. */
  deliver(e: StreamEvent): void;
  logger: Logger;
}

const DROPPED_NOTE = '\x1b[2m[FlowForge: earlier output of this job is not shown]\x1b[0m\n';
const UNREADABLE_NOTE = '\x1b[2m[FlowForge: some output of this job could not be read]\x1b[0m\n';

export class OutputCursor {
  /** Offset of the next byte to show. */
  private next = 0;
  private reading: Promise<void> | null = null;
  private readAgain = false;
  private readonly held: StreamEvent[] = [];
  /** Held events are being handed on after a read. */
  private draining = false;

  constructor(private readonly o: OutputCursorOptions) {}

  /** How far the output was shown (for tests and logs). */
  get offset(): number {
    return this.next;
  }

  /** The stream (re)connected: whatever it missed is read from the API. */
  resync(): void {
    if (this.reading) this.readAgain = true;
    else this.reading = this.readMissing();
  }

  /** Resolves once no read is under way and every held event was handed on. */
  async settled(): Promise<void> {
    while (this.reading) await this.reading;
  }

  push(e: StreamEvent): void {
    if (this.reading) {
      this.held.push(e);
      return;
    }
    if (e.event !== 'output') {
      this.o.deliver(e);
      return;
    }
    const parsed = StreamOutputSchema.safeParse(e.data);
    if (parsed.success) this.output(parsed.data, e);
    else this.o.logger.debug(`output event dropped: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  }

  private output(o: StreamOutput, e: StreamEvent): void {
    if (o.end <= this.next) return; // shown already
    if (o.offset <= this.next) {
      // Starts here; or straddles `next`, which the backend avoids (it flushes live output before answering a read): its new part.
      this.o.write(o.offset === this.next ? o.text : Buffer.from(o.text).subarray(this.next - o.offset).toString(), this.draining);
      this.next = o.end;
      return;
    }
    this.held.push(e); // bytes are missing before it: read them first
    this.resync();
  }

  private async readMissing(): Promise<void> {
    do {
      this.readAgain = false;
      try {
        const got = await this.o.read(this.next);
        if (got.truncated) this.o.write(DROPPED_NOTE, true);
        for (const c of got.chunks) this.o.write(c.text, true);
        this.next = Math.max(this.next, got.end);
      } catch (err) {
        this.o.logger.debug(`output after byte ${this.next}: ${(err as Error).message}`);
      }
    } while (this.readAgain);
    this.skipToHeld();
    this.reading = null;
    this.draining = true;
    for (const e of this.held.splice(0)) this.push(e);
    this.draining = false;
  }

  /** Bytes still missing after a read are not to be had (the read failed, or the backend no longer keeps them): go on from the first held output, saying so. */
  private skipToHeld(): void {
    const first = this.held.map((e) => (e.event === 'output' ? StreamOutputSchema.safeParse(e.data) : null)).find((r) => r?.success);
    if (!first?.success || first.data.offset <= this.next) return;
    this.o.write(UNREADABLE_NOTE, true);
    this.next = first.data.offset;
  }
}
