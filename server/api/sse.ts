// Server-sent events on one HTTP response: framing, keep-alive comments and a
// bound on what a slow client may make us buffer. A client over the bound is
// dropped with a final comment (it reconnects with Last-Event-ID and loses
// nothing that has an id).
import type { ServerResponse } from 'node:http';

/** One SSE frame. `data` is JSON on one line; JSON.stringify never emits raw newlines. */
export function sseFrame(event: string, data: unknown, id?: number): string {
  return `event: ${event}\n${id === undefined ? '' : `id: ${id}\n`}data: ${JSON.stringify(data)}\n\n`;
}

const SSE_HEADERS = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-store',
  Connection: 'keep-alive',
  'X-Accel-Buffering': 'no',
};

export const sseComment = (text: string) => `: ${text.replace(/[\r\n]+/g, ' ')}\n\n`;

export interface SseOptions {
  /** Bytes queued for the socket beyond which the client is dropped. */
  maxBufferBytes: number;
  /** Milliseconds the client waits before reconnecting (the `retry:` field). */
  retryMs: number;
}

export class SseConnection {
  private ended = false;
  private readonly closeListeners: (() => void)[] = [];

  constructor(
    private readonly res: ServerResponse,
    private readonly opts: SseOptions,
  ) {
    res.on('close', () => this.markClosed());
  }

  /** Sends the headers and the opening comment; no timeout may cut the stream after this. */
  open(): void {
    if (this.res.req.method === 'HEAD') {
      // Headers only: a HEAD request must not hold a stream open.
      this.res.writeHead(200, SSE_HEADERS).end();
      this.markClosed();
      return;
    }
    const socket = this.res.socket;
    socket?.setTimeout(0);
    socket?.setNoDelay(true);
    socket?.setKeepAlive(true);
    this.res.writeHead(200, SSE_HEADERS);
    this.res.flushHeaders();
    this.write(`retry: ${this.opts.retryMs}\n${sseComment('connected')}`);
  }

  get closed(): boolean {
    return this.ended;
  }

  /** Bytes waiting for the socket. */
  get buffered(): number {
    return this.res.writableLength;
  }

  onClose(fn: () => void): void {
    if (this.ended) fn();
    else this.closeListeners.push(fn);
  }

  send(event: string, data: unknown, id?: number): void {
    this.write(sseFrame(event, data, id));
  }

  comment(text: string): void {
    this.write(sseComment(text));
  }

  /** Resolves when the socket has taken what was queued (or the client is gone). */
  drained(): Promise<void> {
    if (this.ended || !this.res.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.res.off('drain', done);
        this.res.off('close', done);
        resolve();
      };
      this.res.on('drain', done);
      this.res.on('close', done);
    });
  }

  close(reason?: string): void {
    if (this.ended) return;
    if (reason) this.res.write(sseComment(reason));
    this.res.end();
    this.markClosed();
    // A client that reads nothing never lets end() finish: do not keep its buffer.
    setTimeout(() => this.res.destroy(), 2000).unref();
  }

  private write(chunk: string): void {
    if (this.ended) return;
    if (this.res.writableLength > this.opts.maxBufferBytes) {
      this.close('dropped: this client is not reading fast enough; reconnect with Last-Event-ID');
      return;
    }
    this.res.write(chunk);
  }

  private markClosed(): void {
    if (this.ended && this.closeListeners.length === 0) return;
    this.ended = true;
    for (const fn of this.closeListeners.splice(0)) fn();
  }
}
