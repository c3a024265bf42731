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
import type { EvidenceStore } from '../store/types';

type Writes = 'upsertRun' | 'addSample' | 'addDecision' | 'upsertIncident' | 'addLifecycle' | 'addAudit';
const QUEUED: ReadonlySet<string> = new Set<Writes>(['upsertRun', 'addSample', 'addDecision', 'upsertIncident', 'addLifecycle', 'addAudit']);

export interface PendingStore {
  /** Stands in for the real store from the start. */
  readonly store: EvidenceStore;
  /** Writes what was queued into the real store and forwards everything to it from now on. */
  attach(real: EvidenceStore): void;
  /** Resolves with the real store once attached. */
  readonly opened: Promise<EvidenceStore>;
}

export function pendingStore(): PendingStore {
  let real: EvidenceStore | null = null;
  const queue: [Writes, unknown[]][] = [];
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
          // A copy: the engine keeps changing its run and incident objects after recording them.
          queue.push([name as Writes, structuredClone(args)]);
          return null;
        };
      }
      if (name === 'flush' || name === 'close') {
        return async () => (await openedPromise)[name]();
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
    attach(target: EvidenceStore) {
      for (const [name, args] of queue.splice(0)) (target[name] as (...a: unknown[]) => unknown)(...args);
      real = target;
      opened(target);
    },
  };
}
