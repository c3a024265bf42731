// A small typed event emitter: listeners are checked against the event map at
// compile time, and a throwing listener never breaks the emitter's caller.
// Its error goes to the error handler (the engine passes its logger) and is
// never rethrown: a rethrow, even on a later tick, reaches the process's
// `uncaughtException` handler, and the backend shuts down on that.
export type Listener<T> = (payload: T) => void;

/** What to do with a listener's exception: log it (it is never rethrown). */
export type ListenerErrorHandler = (err: unknown, event: string) => void;

const reportToStderr: ListenerErrorHandler = (err, event) => {
  process.stderr.write(`flowforge: a listener of '${event}' failed: ${(err as Error)?.stack ?? String(err)}\n`);
};

export class TypedEmitter<Events extends Record<string, unknown>> {
  private listeners = new Map<keyof Events, Set<Listener<never>>>();

  constructor(private readonly onListenerError: ListenerErrorHandler = reportToStderr) {}

  on<K extends keyof Events>(event: K, fn: Listener<Events[K]>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(fn as Listener<never>);
    return () => set.delete(fn as Listener<never>);
  }

  emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const fn of [...set]) {
      try {
        (fn as Listener<Events[K]>)(payload);
      } catch (err) {
        this.reportListenerError(err, String(event));
      }
    }
  }

  listenerCount(event: keyof Events): number {
    return this.listeners.get(event)?.size ?? 0;
  }

  private reportListenerError(err: unknown, event: string): void {
    try {
      this.onListenerError(err, event);
    } catch {
      // A failing error handler (a closed log sink) must not take the emitter's caller down either.
    }
  }
}
