// Opening a session's store, with the fallbacks a run needs: a busy default
// store gives way to a file of our own, an unwritable one to memory. Loaded on
// demand (it brings SQLite's wasm glue along), so a run that never opens its
// store never loads it.
import { dirname, join } from 'node:path';
import { openStore, StoreLockedError, StoreUnwritableError, defaultStorePath } from '../store';
import { closeLostRuns } from '../store/lostRuns';
import type { EvidenceStore } from '../store/types';
import type { Logger } from '../util/logger';
import type { SessionOptions } from './sessionCore';

export interface OpenedSessionStore {
  store: EvidenceStore;
  path: string;
}

async function openSessionStore(opts: SessionOptions, logger: Logger): Promise<OpenedSessionStore> {
  const path = opts.dbPath ?? opts.defaultDbPath ?? defaultStorePath();
  try {
    const { store, warnings } = await openStore({ path, logger });
    for (const w of warnings) logger.warn(w);
    return { store, path };
  } catch (err) {
    if (err instanceof StoreUnwritableError) return inMemoryStore(err, logger);
    if (!(err instanceof StoreLockedError) || opts.dbPath) throw err;
    // Two `flowforge run` in two terminals must both work: the second records into its own file.
    const own = join(dirname(path), 'runs', `flowforge-${Date.now()}-${process.pid}.db`);
    logger.info(`the default store is in use by pid ${err.holderPid}; recording this run in ${own}`);
    try {
      const { store, warnings } = await openStore({ path: own, logger });
      for (const w of warnings) logger.warn(w);
      return { store, path: own };
    } catch (inner) {
      if (inner instanceof StoreUnwritableError) return inMemoryStore(inner, logger);
      throw inner;
    }
  }
}

/** The job matters more than its record: an unwritable store never stops it from running. */
async function inMemoryStore(err: StoreUnwritableError, logger: Logger): Promise<OpenedSessionStore> {
  logger.warn(`${err.message}; recording in memory only (nothing is kept after this process ends) — use --db to pick a writable file`);
  const { store } = await openStore({ path: null, logger });
  return { store, path: ':memory:' };
}

/** Opens the session's store, then closes runs a dead supervisor left in it. */
export async function openRealStore(opts: SessionOptions, logger: Logger): Promise<OpenedSessionStore> {
  const opened = await openSessionStore(opts, logger);
  const lost = closeLostRuns(opened.store, Date.now());
  if (lost.length > 0) logger.info(`${lost.length} run(s) in ${opened.path} were left unfinished by a supervisor that is gone; recorded as supervisor_lost`);
  return opened;
}

/**
 * Deferred open: the store arrives after the job started. A store that turns
 * out busy (a race with another writer) or unusable now would lose a record
 * of a job that already runs, so it falls back to a file of our own, then to
 * memory, with a warning.
 */
export async function openDeferred(opts: SessionOptions, logger: Logger): Promise<OpenedSessionStore> {
  try {
    return await openRealStore(opts, logger);
  } catch (err) {
    if (!(err instanceof StoreLockedError)) {
      logger.warn(`${(err as Error).message}; recording this run in memory only`);
      return { store: (await openStore({ path: null, logger })).store, path: ':memory:' };
    }
    return openRealStore({ ...opts, dbPath: undefined, defaultDbPath: opts.dbPath }, logger);
  }
}

