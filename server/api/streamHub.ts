// GET /v1/stream: every journal change as a named SSE event whose id is its
// journal seq, live samples, and on request a run's output. A client that
// names the last id it saw first gets what it missed, read from the store in
// pages, then live events; nothing is lost or sent twice:
//   - the client is registered for live events before the replay starts;
//   - while it replays, live journal events are skipped (they are in the
//     store already, so a later page has them);
//   - the last page is read and the client turned live in the same tick, and
//     live events at or below the last seq sent are dropped.
import type { Response } from 'express';
import type { Engine } from '../engine/engine';
import type { StreamOutput, StreamQuery } from '../shared/protocol/api';
import type { Sample, TimelineEvent } from '../shared/protocol/domain';
import type { EvidenceStore } from '../store/types';
import type { Principal } from './keys';
import type { OutputHub } from './outputHub';
import type { OwnerIndex } from './owners';
import { invalidField, tooManyRequests } from './problems';
import { SseConnection } from './sse';

export interface StreamSettings {
  keepAliveMs: number;
  maxBufferBytes: number;
  retryMs: number;
  replayPageSize: number;
  /** Open streams one key may hold (each buffers up to maxBufferBytes for a slow reader). */
  maxClientsPerKey: number;
}

export const DEFAULT_STREAM: StreamSettings = {
  keepAliveMs: 15_000,
  maxBufferBytes: 4 * 1024 * 1024,
  retryMs: 2000,
  replayPageSize: 500,
  // The editor opens one per supervised terminal, so this is generous; it bounds a runaway client.
  maxClientsPerKey: 64,
};

interface Subscriber {
  sse: SseConnection;
  principal: Principal;
  runId: string | null;
  samples: boolean;
  live: boolean;
  lastSeq: number;
}

export class StreamHub {
  private readonly subscribers = new Set<Subscriber>();
  private readonly offs: (() => void)[];
  private readonly keepAlive: NodeJS.Timeout;

  constructor(
    engine: Engine,
    private readonly store: EvidenceStore,
    private readonly owners: OwnerIndex,
    private readonly outputs: OutputHub,
    private readonly settings: StreamSettings,
  ) {
    this.offs = [engine.events.on('journal', (e) => this.onJournal(e)), engine.events.on('sample', (s) => this.onSample(s))];
    this.keepAlive = setInterval(() => {
      for (const s of this.subscribers) s.sse.comment('keepalive');
    }, settings.keepAliveMs);
    this.keepAlive.unref();
  }

  get size(): number {
    return this.subscribers.size;
  }

  /** Validates the request, then serves the stream until the client leaves. */
  async serve(res: Response, principal: Principal, query: StreamQuery, lastEventIdHeader: string | undefined): Promise<void> {
    const lastEventId = parseLastEventId(lastEventIdHeader ?? query.last_event_id);
    const runId = query.run_id ?? null;
    if (query.output && !runId) throw invalidField('query.output', 'output events need run_id (output=1&run_id=...)');
    if (runId && !this.owners.visible(principal, runId)) throw invalidField('query.run_id', `no run with id '${runId}'`);
    this.requireStreamSlot(principal);

    const sse = new SseConnection(res, this.settings);
    const sub: Subscriber = {
      sse,
      principal,
      runId,
      samples: query.samples ?? true,
      live: lastEventId === null,
      lastSeq: lastEventId ?? this.store.latestSeq(),
    };
    this.subscribers.add(sub);
    const offOutput = query.output && runId ? this.outputs.subscribe(runId, (o) => this.onOutput(sub, o)) : () => undefined;
    sse.onClose(() => {
      this.subscribers.delete(sub);
      offOutput();
    });
    sse.open();
    if (!sub.live) await this.replay(sub);
  }

  private requireStreamSlot(principal: Principal): void {
    let open = 0;
    for (const s of this.subscribers) if (s.principal.name === principal.name) open++;
    if (open >= this.settings.maxClientsPerKey)
      throw tooManyRequests('too-many-streams', `the key '${principal.name}' already has ${open} open streams (at most ${this.settings.maxClientsPerKey}); close one before opening another`, 1000);
  }

  close(): void {
    clearInterval(this.keepAlive);
    for (const off of this.offs) off();
    for (const s of [...this.subscribers]) s.sse.close('server shutting down');
    this.subscribers.clear();
  }

  private async replay(sub: Subscriber): Promise<void> {
    const size = this.settings.replayPageSize;
    for (;;) {
      if (sub.sse.closed) return;
      const page = this.store.eventsAfter(sub.lastSeq, size);
      for (const e of page) this.deliver(sub, e);
      if (page.length < size) {
        sub.live = true; // same tick as the last read: no event can slip between
        return;
      }
      await sub.sse.drained();
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  private onJournal(e: TimelineEvent): void {
    // Output printed before this event (a run's last lines before it ends) goes out first.
    if (e.run_id) this.outputs.flushLive(e.run_id);
    for (const sub of this.subscribers) if (sub.live && e.seq > sub.lastSeq) this.deliver(sub, e);
  }

  private deliver(sub: Subscriber, e: TimelineEvent): void {
    sub.lastSeq = e.seq;
    if (sub.runId !== null && e.run_id !== sub.runId) return;
    if (!this.owners.visible(sub.principal, e.run_id)) return;
    sub.sse.send(e.kind, e, e.seq);
  }

  private onSample(s: Sample): void {
    for (const sub of this.subscribers) {
      if (!sub.live || !sub.samples || (sub.runId !== null && s.run_id !== sub.runId)) continue;
      if (this.owners.visible(sub.principal, s.run_id)) sub.sse.send('sample', s);
    }
  }

  private onOutput(sub: Subscriber, o: StreamOutput): void {
    if (sub.live) sub.sse.send('output', o);
  }
}

function parseLastEventId(raw: string | undefined): number | null {
  if (raw === undefined || raw === '') return null;
  if (!/^[0-9]{1,15}$/.test(raw.trim())) throw invalidField('header.last-event-id', 'must be the id of an earlier event (a whole number)');
  return Number(raw.trim());
}
