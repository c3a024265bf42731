// What every engine-running command needs: the store (with its lock), the
// reaper, the engine, a redacting logger on stderr, and clean shutdown.
import { dirname, join } from 'node:path';
import { Engine } from '../engine/engine';
import { defaultStorePath, openStore, StoreLockedError, StoreUnwritableError } from '../store';
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

export async function openSession(opts: SessionOptions): Promise<Session> {
  const logger = opts.logger ?? stderrLogger(opts.quiet ?? false, opts.logLevel);
  const { store, path } = await openSessionStore(opts, logger);
  const lost = closeLostRuns(store, Date.now());
  if (lost.length > 0) logger.info(`${lost.length} run(s) in ${path} were left unfinished by a supervisor that is gone; recorded as supervisor_lost`);
  const reaper = new ReaperClient();
  reaper.start();
  const engine = new Engine({ store, logger, reaper, sampleIntervalMs: opts.sampleIntervalMs });
  let closing: Promise<void> | null = null;
  const close = (reason = 'flowforge is exiting') =>
    (closing ??= (async () => {
      await engine.shutdown(reason);
      try {
        await store.close();
      } catch (err) {
        logger.error(`could not save the store ${path}: ${(err as Error).message}`);
      }
      reaper.close();
    })());
  return { engine, store, storePath: path, logger, reaper, close };
}
