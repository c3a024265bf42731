// The evidence store of a `flowforge run` while its file is still being
// opened. Opening the real store (loading SQLite's wasm, reading the file,
// migrating, closing runs a dead supervisor left) takes tens of milliseconds
// that the job should not wait for: the job starts at once, and what the
// engine records meanwhile is queued here and written, in order, the moment
// the real store is open. From then on every call goes straight through.
//
// Before that moment a write has no journal row yet (it returns null): the
// engine's recorder then announces nothing, which only matters to API
// listeners — and a run with an API opens its store first.
//
// A run that ends before the store is opened at all hands its queue over as a
// spool (store/spool.ts) instead, and the store is never opened.
import { SPOOLED_WRITES, type SpooledCall, type SpooledWrite } from '../store/spool';
import type { EvidenceStore } from '../store/types';

const QUEUED: ReadonlySet<string> = new Set<string>(SPOOLED_WRITES);

export interface PendingStore {
  /** Stands in for the real store from the start. */
  readonly store: EvidenceStore;
  /** Writes what was queued into the real store and forwards everything to it from now on. */
  attach(real: EvidenceStore): void;
  /** Resolves with the real store once attached. */
  readonly opened: Promise<EvidenceStore>;
  /**
   * Hands over what was queued, for a spool: the store will not be opened.
   * Later writes are refused loudly (nothing may be lost silently), and
   * flush/close have nothing left to wait for.
   */
  spool(): SpooledCall[];
  /** Takes a spool back (it could not be written): queued again, in front of anything newer. */
  requeue(calls: SpooledCall[]): void;
}

export function pendingStore(): PendingStore {
  let real: EvidenceStore | null = null;
  let spooled = false;
  const queue: SpooledCall[] = [];
  let opened!: (s: EvidenceStore) => void;
  const openedPromise = new Promise<EvidenceStore>((resolve) => (opened = resolve));

  const store = new Proxy({} as EvidenceStore, {
    get(_target, name: string | symbol) {
      if (real) {
        const value = (real as unknown as Record<string | symbol, unknown>)[name];
        return typeof value === 'function' ? value.bind(real) : value;
      }
      if (typeof name === 'string' && QUEUED.has(name)) {
        return (...args: unknown[]) => {
          if (spooled) throw new Error(`the run's records were already spooled (${name} called too late)`);
          // A copy: the engine keeps changing its run and incident objects after recording them.
          queue.push([name as SpooledWrite, structuredClone(args)]);
          return null;
        };
      }
      if (name === 'flush' || name === 'close') {
        return async () => (spooled ? undefined : (await openedPromise)[name]());
      }
      if (name === 'then') return undefined; // not a thenable
      return () => {
        throw new Error(`the evidence store is still being opened (${String(name)} called too early)`);
      };
    },
  });

  return {
    store,
    opened: openedPromise,
    spool() {
      spooled = true;
      return queue.splice(0);
    },
    requeue(calls) {
      spooled = false;
      queue.unshift(...calls);
    },
    attach(target: EvidenceStore) {
      for (const [name, args] of queue.splice(0)) (target[name] as (...a: unknown[]) => unknown)(...args);
      real = target;
      opened(target);
    },
  };
}
