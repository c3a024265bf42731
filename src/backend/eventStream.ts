// A client of GET /v1/stream over fetch: parses the event stream, remembers
// the last event id and, when the connection drops (the backend restarted,
// the machine slept), reconnects with Last-Event-ID after a backoff so no
// journal event is missed or seen twice.
import type { Logger } from '../../server/util/logger';
import { queryString, type EndpointSource } from './apiClient';
import { SseParser } from './sseParser';

export interface StreamEvent {
  event: string;
  id: number | null;
  data: unknown;
}

export interface StreamFilter {
  run_id?: string;
  /** `output` events of run_id. */
  output?: boolean;
  /** `sample` events (default true). */
  samples?: boolean;
}

export interface EventStreamOptions {
  endpoint: EndpointSource;
  filter?: StreamFilter;
  /** Resume after this journal seq (the first connection too); null = live events only. */
  lastEventId?: number | null;
  logger: Logger;
  onEvent(e: StreamEvent): void;
  /** Every (re)connection, once the server has registered the subscriber. */
  onOpen?(): void;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

/** A connection that lasted this long was healthy: the next drop starts the backoff over. */
const HEALTHY_MS = 10_000;

export class EventStream {
  private disposed = false;
  private abort: AbortController | null = null;
  private backoffMs: number;
  private readonly opened: Promise<void>;
  private markOpened!: () => void;
  lastEventId: number | null;

  constructor(private readonly o: EventStreamOptions) {
    this.lastEventId = o.lastEventId ?? null;
    this.backoffMs = o.initialBackoffMs ?? 500;
    this.opened = new Promise((resolve) => (this.markOpened = resolve));
    void this.loop();
  }

  /** Resolves at the first successful connection. */
  whenOpen(): Promise<void> {
    return this.opened;
  }

  /** Forget the resume position (the backend now writes a different store whose ids mean something else). */
  resetPosition(): void {
    this.lastEventId = null;
  }

  /** Drop the current connection now and reconnect (e.g. the backend was restarted). */
  reconnect(): void {
    this.abort?.abort();
  }

  dispose(): void {
    this.disposed = true;
    this.abort?.abort();
  }

  private async loop(): Promise<void> {
    while (!this.disposed) {
      const started = Date.now();
      try {
        await this.connect();
      } catch (err) {
        if (this.disposed) return;
        this.o.logger.debug(`event stream: ${(err as Error).message}; reconnecting in ${this.backoffMs} ms`);
      }
      if (this.disposed) return;
      if (Date.now() - started > HEALTHY_MS) this.backoffMs = this.o.initialBackoffMs ?? 500;
      await new Promise((r) => setTimeout(r, this.backoffMs));
      this.backoffMs = Math.min(this.backoffMs * 2, this.o.maxBackoffMs ?? 10_000);
    }
  }

  private async connect(): Promise<void> {
    const { url, key } = await this.o.endpoint();
    if (this.disposed) return;
    const abort = new AbortController();
    this.abort = abort;
    const headers: Record<string, string> = { Authorization: `Bearer ${key}`, Accept: 'text/event-stream' };
    if (this.lastEventId !== null) headers['Last-Event-ID'] = String(this.lastEventId);
    const res = await fetch(`${url}/v1/stream${queryString({ ...this.o.filter })}`, { headers, signal: abort.signal });
    if (!res.ok || !res.body) {
      const text = await res.text().catch(() => '');
      throw new Error(`GET /v1/stream answered ${res.status}: ${text.slice(0, 300)}`);
    }
    this.markOpened();
    this.o.onOpen?.();
    const parser = new SseParser();
    const decoder = new TextDecoder();
    const reader = res.body.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error('the stream ended');
      for (const e of parser.push(decoder.decode(value, { stream: true }))) this.deliver(e.event, e.id, e.data);
    }
  }

  private deliver(event: string, id: string | null, data: string): void {
    if (id !== null && /^\d+$/.test(id)) this.lastEventId = Number(id);
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch {
      this.o.logger.warn(`event stream: dropped a '${event}' event whose data is not JSON`);
      return;
    }
    try {
      this.o.onEvent({ event, id: id === null ? null : Number(id), data: parsed });
    } catch (err) {
      this.o.logger.error(`event stream: a listener failed on '${event}': ${(err as Error).message}`);
    }
  }
}
