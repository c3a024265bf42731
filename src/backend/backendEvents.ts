// The window's one subscription to the backend's event stream, fanned out to
// everything that reacts to it (status bar, notifications, the incident panel,
// task terminals). Events are checked with the shared schemas here, once.
import { Sample, TimelineEvent } from '../../server/shared/protocol/domain';
import type { Logger } from '../../server/util/logger';
import { TypedEmitter } from '../../server/util/typedEmitter';
import type { EndpointSource } from './apiClient';
import type { BackendInfo } from './backendProcess';
import { EventStream, type StreamEvent } from './eventStream';

type Events = {
  /** Every journal change: run, decision, incident, lifecycle, audit. */
  journal: TimelineEvent;
  sample: Sample;
  /** The stream (re)connected: state read over plain requests may be stale. */
  open: void;
  /** The stream connected again after the first time (a drop, or a new backend). */
  reconnect: void;
};

export interface Unsubscribe {
  dispose(): void;
}

export class BackendEvents {
  private readonly emitter = new TypedEmitter<Events>();
  private stream: EventStream | null = null;
  private storePath: string | null = null;
  private opened = false;

  constructor(
    private readonly endpoint: EndpointSource,
    private readonly logger: Logger,
  ) {}

  on<K extends keyof Events>(event: K, fn: (payload: Events[K]) => void): Unsubscribe {
    return { dispose: this.emitter.on(event, fn) };
  }

  /** A backend is ready: connect, or reconnect to the new one (resuming where we were if it kept the same store). */
  attach(info: BackendInfo): void {
    if (!this.stream) {
      this.storePath = info.storePath;
      this.stream = new EventStream({
        endpoint: this.endpoint,
        logger: this.logger,
        onEvent: (e) => this.deliver(e),
        onOpen: () => this.onOpen(),
      });
      return;
    }
    if (info.storePath !== this.storePath) this.stream.resetPosition();
    this.storePath = info.storePath;
    this.stream.reconnect();
  }

  dispose(): void {
    this.stream?.dispose();
    this.stream = null;
  }

  private onOpen(): void {
    this.emitter.emit('open', undefined);
    if (this.opened) this.emitter.emit('reconnect', undefined);
    this.opened = true;
  }

  private deliver(e: StreamEvent): void {
    const checked = checkStreamEvent(e);
    if (!checked) {
      this.logger.debug(`event stream: dropped a '${e.event}' event that does not fit the schema`);
      return;
    }
    if (checked.kind === 'sample') this.emitter.emit('sample', checked.sample);
    else this.emitter.emit('journal', checked.row);
  }
}

/** A stream event checked against the shared schemas (the only check it gets in the window); null when it does not fit. */
export function checkStreamEvent(e: StreamEvent): { kind: 'sample'; sample: Sample } | { kind: 'journal'; row: TimelineEvent } | null {
  if (e.event === 'sample') {
    const sample = Sample.safeParse(e.data);
    return sample.success ? { kind: 'sample', sample: sample.data } : null;
  }
  const row = TimelineEvent.safeParse(e.data);
  return row.success && row.data.kind === e.event ? { kind: 'journal', row: row.data } : null;
}
