// What every engine-running command needs: the store (with its lock), the
// reaper, the engine, a redacting logger on stderr, and clean shutdown. This
// file holds the parts both ways of opening a session share; session.ts opens
// one with its store at once, runSession.ts one whose store may come later or
// never (a short `flowforge run`). Neither SQLite nor the store is imported
// here, so `flowforge run` loads them only when it opens its store.
import { Engine } from '../engine/engine';
import { exportFromEnvironment } from '../otel/export';
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
   * Called once the caller started its job: with a deferred store, starts the
   * reaper and opens the store a moment later unless the run is over by then.
   */
  begin(): void;
  /** Opens the store now if it is not open yet; resolves when it holds everything recorded so far. */
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

/** How a session's store comes: already open, or later (see runSession.ts). */
export interface SessionStoreSource {
  store: EvidenceStore;
  storePath: string;
  begin(): void;
  ready(): Promise<void>;
  /** When the store was never opened: runs `finish`, keeps the record some other way and answers true. */
  closeUnopened(finish: () => Promise<void>): Promise<boolean>;
}

/** A store that is open from the start: nothing to defer, nothing to spool. */
export function openedStoreSource(opened: { store: EvidenceStore; path: string }): SessionStoreSource {
  return { store: opened.store, storePath: opened.path, begin: () => undefined, ready: async () => undefined, closeUnopened: async () => false };
}

export function assembleSession(opts: SessionOptions, logger: Logger, reaper: ReaperClient, source: SessionStoreSource): Session {
  const { store } = source;
  const engine = new Engine({ store, logger, reaper, sampleIntervalMs: opts.sampleIntervalMs });
  const telemetry = exportFromEnvironment(engine.events, process.env, { endpoint: opts.otlpEndpoint }, logger, { workspacePath: opts.workspacePath ?? process.cwd() });
  const closeStore = async (reason: string) => {
    if (await source.closeUnopened(() => engine.shutdown(reason))) return;
    await source.ready();
    await engine.shutdown(reason);
    try {
      await store.close();
    } catch (err) {
      logger.error(`could not save the store ${session.storePath}: ${(err as Error).message}`);
    }
  };
  let closing: Promise<void> | null = null;
  const close = (reason = 'flowforge is exiting') =>
    (closing ??= (async () => {
      await closeStore(reason);
      // Bounded inside: a collector that is down costs one warning, not a hung exit.
      await telemetry?.shutdown();
      reaper.close();
    })());
  const session: Session = {
    engine,
    store,
    storePath: source.storePath,
    logger,
    reaper,
    begin: () => source.begin(),
    ready: () => source.ready(),
    close,
  };
  return session;
}
