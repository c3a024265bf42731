// A minimal SSE client for tests: parses frames as they arrive.
import { request, type IncomingMessage } from 'node:http';

export interface SseEvent {
  event: string;
  id: number | null;
  data: unknown;
}

export class SseClient {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  status = 0;
  ended = false;
  private buffer = '';
  private res: IncomingMessage | null = null;
  private waiters: (() => void)[] = [];

  private constructor(private readonly destroy: () => void) {}

  static connect(port: number, path: string, headers: Record<string, string>): Promise<SseClient> {
    return new Promise((resolve, reject) => {
      let client: SseClient;
      const req = request({ host: '127.0.0.1', port, path, headers: { accept: 'text/event-stream', ...headers } }, (res) => {
        client.res = res;
        client.status = res.statusCode ?? 0;
        res.setEncoding('utf8');
        res.on('data', (d: string) => client.feed(d));
        res.on('end', () => client.finish());
        res.on('close', () => client.finish());
        resolve(client);
      });
      client = new SseClient(() => req.destroy());
      req.on('error', (err) => (client.status ? client.finish() : reject(err)));
      req.end();
    });
  }

  get ids(): number[] {
    return this.events.filter((e) => e.id !== null).map((e) => e.id!);
  }

  /** Stops reading: the server's writes pile up in the socket buffers. */
  pause(): void {
    this.res?.pause();
  }

  resume(): void {
    this.res?.resume();
  }

  close(): void {
    this.destroy();
    this.finish();
  }

  async until(pred: (c: SseClient) => boolean, timeoutMs = 10_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!pred(this)) {
      if (Date.now() > end) throw new Error(`SSE condition not met in ${timeoutMs} ms (${this.events.length} events, ended ${this.ended})`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }

  private feed(chunk: string): void {
    this.buffer += chunk;
    let i: number;
    while ((i = this.buffer.indexOf('\n\n')) >= 0) {
      const frame = this.buffer.slice(0, i);
      this.buffer = this.buffer.slice(i + 2);
      this.parse(frame);
    }
    this.wake();
  }

  private parse(frame: string): void {
    let event = 'message';
    let id: number | null = null;
    const data: string[] = [];
    for (const line of frame.split('\n')) {
      if (line.startsWith(':')) this.comments.push(line.slice(1).trim());
      else if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('id: ')) id = Number(line.slice(4));
      else if (line.startsWith('data: ')) data.push(line.slice(6));
    }
    if (data.length) this.events.push({ event, id, data: JSON.parse(data.join('\n')) });
  }

  private finish(): void {
    this.ended = true;
    this.wake();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}
