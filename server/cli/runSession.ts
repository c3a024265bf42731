// The session of a `flowforge run`: its job starts first, and its store is
// opened beside it a moment later, or never, when the run is over before
// that (then its record is left as a spool file for the store: see
// store/spool.ts). SQLite and the store code are loaded on demand, here only.
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { resolve } from 'node:path';
import { processStartTicks, StoreLockedError, type LockHolder } from '../store/lock';
import { defaultStorePath, SQLITE_HEADER } from '../store/paths';
import { pendingSpoolFiles, SPOOL_MAX_FILES, writeSpool } from '../store/spool';
import { ReaperClient } from '../supervisor/reaper';
import type { Logger } from '../util/logger';
import { pendingStore } from './pendingStore';
import { assembleSession, openedStoreSource, stderrLogger, type Session, type SessionOptions, type SessionStoreSource } from './sessionCore';

/**
 * How long a job runs before its store is opened. A job that is over by then
 * leaves a spool file instead and the store is never opened (see
 * store/spool.ts); a longer one gets its store while it runs, off its path.
 * Nothing is at risk in the wait: the store itself only saves a second after
 * a change, and the reaper starts with the job.
 */
export const STORE_OPEN_DELAY_MS = 250;

const loadSessionStore = () => import('./sessionStore');

/** The lock file's holder and whether it still runs; null when there is no (readable) lock file. */
function lockState(path: string): { holder: LockHolder; alive: boolean } | null {
  let holder: LockHolder;
  try {
    holder = JSON.parse(readFileSync(`${path}.lock`, 'utf8')) as LockHolder;
  } catch {
    return null; // no lock (or a half-written one): the real open decides
  }
  if (holder.pid === process.pid || typeof holder.pid !== 'number') return null;
  const start = processStartTicks(holder.pid);
  const alive = start !== null ? holder.procStart === null || holder.procStart === start : isAlive(holder.pid);
  return { holder, alive };
}

/**
 * An explicit --db that a live writer holds is refused before the job starts,
 * as it always was (the job must not run unrecorded). A cheap read of the lock
 * file; the real lock is still taken when the store opens.
 */
function refuseBusyStore(dbPath: string | undefined): void {
  if (!dbPath) return;
  const path = resolve(dbPath);
  const lock = lockState(path);
  if (lock?.alive) throw new StoreLockedError(path, `${path}.lock`, lock.holder);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const SQLITE_MAGIC = Buffer.from(SQLITE_HEADER, 'latin1');

/** False for a store file that exists with something other than SQLite in it. */
function looksLikeSqlite(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return true; // no file yet (or unreadable: opening reports that properly)
  }
  try {
    const head = Buffer.alloc(16);
    const n = readSync(fd, head, 0, 16, 0);
    return n === 0 || head.equals(SQLITE_MAGIC);
  } finally {
    closeSync(fd);
  }
}

/**
 * What only opening the store puts right, which even the shortest run must
 * not skip: runs a dead writer left open (they become supervisor_lost) and a
 * file that is not a database (moved aside, with a warning). Two small reads.
 */
function storeNeedsOpening(path: string): boolean {
  return lockState(path)?.alive === false || !looksLikeSqlite(path);
}

export async function openRunSession(opts: SessionOptions): Promise<Session> {
  const logger = opts.logger ?? stderrLogger(opts.quiet ?? false, opts.logLevel);
  const reaper = new ReaperClient();
  if (!opts.deferStore) {
    const opened = await (await loadSessionStore()).openRealStore(opts, logger);
    reaper.start();
    return assembleSession(opts, logger, reaper, openedStoreSource(opened));
  }
  refuseBusyStore(opts.dbPath);
  const source = deferredStore(opts, logger, reaper, (path) => (session.storePath = path));
  const session = assembleSession(opts, logger, reaper, source);
  return session;
}

function deferredStore(opts: SessionOptions, logger: Logger, reaper: ReaperClient, onOpen: (path: string) => void): SessionStoreSource {
  const pending = pendingStore();
  const path = resolve(opts.dbPath ?? opts.defaultDbPath ?? defaultStorePath());
  let opening: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;
  const ready = () => {
    if (timer) clearTimeout(timer);
    reaper.start();
    return (opening ??= (async () => {
      const o = await (await loadSessionStore()).openDeferred(opts, logger);
      onOpen(o.path);
      pending.attach(o.store);
    })());
  };
  return {
    store: pending.store,
    storePath: path,
    ready,
    begin() {
      reaper.start();
      timer ??= setTimeout(() => void ready().catch((err: Error) => logger.error(err.message)), STORE_OPEN_DELAY_MS);
    },
    async closeUnopened(finish) {
      if (opening || pendingSpoolFiles(path) >= SPOOL_MAX_FILES || storeNeedsOpening(path)) return false;
      if (timer) clearTimeout(timer);
      await finish();
      const calls = pending.spool();
      try {
        await writeSpool(path, calls, Date.now());
        return true;
      } catch (err) {
        // No spool (an unwritable folder): the store's own fallbacks decide where the record goes.
        logger.warn(`could not leave this run's record in ${path}.spool (${(err as Error).message}); opening the store instead`);
        pending.requeue(calls);
        return false;
      }
    },
  };
}
