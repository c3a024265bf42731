// What every engine-running command needs: the store (with its lock), the
// reaper, the engine, a redacting logger on stderr, and clean shutdown.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Engine } from '../engine/engine';
import { defaultStorePath, openStore, StoreLockedError, StoreUnwritableError, type LockHolder } from '../store';
import { processStartTicks } from '../store/lock';
import { exportFromEnvironment } from '../otel/export';
import { pendingStore } from './pendingStore';
import { closeLostRuns } from '../store/lostRuns';
import { redact } from '../shared/redact';
import type { EvidenceStore } from '../store/types';
import { ReaperClient } from '../supervisor/reaper';
import { createLogger, type Logger, type LogLevel } from '../util/logger';

export interface Session {
  engine: Engine;
  store: EvidenceStore;
  storePath: string;
  logger: Logger;
  reaper: ReaperClient;
  /**
   * With `deferStore`: starts the reaper and opens the store, after the caller
   * started its job. Resolves when the store is open and holds everything
   * recorded so far. Without it: already done.
   */
  ready(): Promise<void>;
  /** Stops every job, flushes the store, lets the reaper go. Idempotent. */
  close(reason?: string): Promise<void>;
}

export interface SessionOptions {
  /** Explicit --db path: a busy store is an error. Without it, a busy default store falls back to a file of our own. */
  dbPath?: string;
  /** Where the default store lives (default: the user's state directory); the VS Code backend uses workspace storage. */
  defaultDbPath?: string;
  /** Where log lines go (default: stderr, as the CLI prints them). */
  logger?: Logger;
  quiet?: boolean;
  logLevel?: LogLevel;
  sampleIntervalMs?: number;
  /**
   * Let the caller start its job before the store is opened and the reaper
   * started (`ready()` does both): the job does not wait for SQLite's wasm,
   * the file or a process spawn. Only for callers that read nothing from the
   * store while they start (`flowforge run` without its API).
   */
  deferStore?: boolean;
  /**
   * OTLP/HTTP base URL for FlowForge's own telemetry (`--otlp-endpoint`, the
   * editor's `flowforge.telemetry.otlpEndpoint`); the standard OTEL_* variables
   * configure it too. Unset and no variables: nothing is exported or loaded.
   */
  otlpEndpoint?: string | null;
  /** The workspace folder the resource names (default: the current directory). */
  workspacePath?: string;
}

export function stderrLogger(quiet: boolean, level: LogLevel = 'info'): Logger {
  return createLogger((lvl, line) => {
    if (quiet && lvl !== 'error') return;
    process.stderr.write(`flowforge: ${lvl === 'info' ? '' : lvl + ': '}${redact(line)}\n`);
  }, level);
}

async function openSessionStore(opts: SessionOptions, logger: Logger): Promise<{ store: EvidenceStore; path: string }> {
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
async function inMemoryStore(err: StoreUnwritableError, logger: Logger): Promise<{ store: EvidenceStore; path: string }> {
  logger.warn(`${err.message}; recording in memory only (nothing is kept after this process ends) — use --db to pick a writable file`);
  const { store } = await openStore({ path: null, logger });
  return { store, path: ':memory:' };
}

/** Opens the session's store, then closes runs a dead supervisor left in it. */
async function openRealStore(opts: SessionOptions, logger: Logger): Promise<{ store: EvidenceStore; path: string }> {
  const opened = await openSessionStore(opts, logger);
  const lost = closeLostRuns(opened.store, Date.now());
  if (lost.length > 0) logger.info(`${lost.length} run(s) in ${opened.path} were left unfinished by a supervisor that is gone; recorded as supervisor_lost`);
  return opened;
}

/**
 * An explicit --db that a live writer holds is refused before the job starts,
 * as it always was (the job must not run unrecorded). A cheap read of the lock
 * file; the real lock is still taken when the store opens.
 */
function refuseBusyStore(dbPath: string | undefined): void {
  if (!dbPath) return;
  const path = resolve(dbPath);
  let holder: LockHolder;
  try {
    holder = JSON.parse(readFileSync(`${path}.lock`, 'utf8')) as LockHolder;
  } catch {
    return; // no lock (or a half-written one): the real open decides
  }
  if (holder.pid === process.pid || typeof holder.pid !== 'number') return;
  const start = processStartTicks(holder.pid);
  const alive = start !== null ? holder.procStart === null || holder.procStart === start : isAlive(holder.pid);
  if (alive) throw new StoreLockedError(path, `${path}.lock`, holder);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Deferred open: the store arrives after the job started. A store that turns
 * out busy (a race with another writer) or unusable now would lose a record
 * of a job that already runs, so it falls back to a file of our own, then to
 * memory, with a warning.
 */
async function openDeferred(opts: SessionOptions, logger: Logger): Promise<{ store: EvidenceStore; path: string }> {
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

export async function openSession(opts: SessionOptions): Promise<Session> {
  const logger = opts.logger ?? stderrLogger(opts.quiet ?? false, opts.logLevel);
  const reaper = new ReaperClient();
  let opened: { store: EvidenceStore; path: string } | null = null;
  let store: EvidenceStore;
  let ready: () => Promise<void>;
  if (opts.deferStore) {
    refuseBusyStore(opts.dbPath);
    const pending = pendingStore();
    store = pending.store;
    let opening: Promise<void> | null = null;
    ready = () =>
      (opening ??= (async () => {
        reaper.start();
        opened = await openDeferred(opts, logger);
        session.storePath = opened.path;
        pending.attach(opened.store);
      })());
  } else {
    opened = await openRealStore(opts, logger);
    store = opened.store;
    reaper.start();
    ready = async () => undefined;
  }
  const engine = new Engine({ store, logger, reaper, sampleIntervalMs: opts.sampleIntervalMs });
  const telemetry = exportFromEnvironment(engine.events, process.env, { endpoint: opts.otlpEndpoint }, logger, { workspacePath: opts.workspacePath ?? process.cwd() });
  let closing: Promise<void> | null = null;
  const close = (reason = 'flowforge is exiting') =>
    (closing ??= (async () => {
      await ready();
      await engine.shutdown(reason);
      try {
        await store.close();
      } catch (err) {
        logger.error(`could not save the store ${session.storePath}: ${(err as Error).message}`);
      }
      // Bounded inside: a collector that is down costs one warning, not a hung exit.
      await telemetry?.shutdown();
      reaper.close();
    })());
  const session: Session = { engine, store, storePath: opened?.path ?? opts.dbPath ?? opts.defaultDbPath ?? defaultStorePath(), logger, reaper, ready, close };
  return session;
}
