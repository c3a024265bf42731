// Opening a store: for writing (lock, load or recover the file, migrate,
// start saving) or for reading only (the CLI's `incidents`/`timeline`, which
// may run while a writer holds the lock: they read the last saved file and
// never write or lock).
import { readFileSync, renameSync, rmSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Database, SqlJsStatic } from 'sql.js';
import { systemClock, type Clock } from '../util/clock';
import { silentLogger, type Logger } from '../util/logger';
import { acquireLock, type HeldLock } from './lock';
import { Saver, tempPathFor } from './persist';
import { retentionSettings } from './retention';
import { inspectSchema, migrate, SCHEMA_VERSION, type SchemaState } from './schema';
import { SqlDb } from './sqlDb';
import { loadSqlJs } from './sqljs';
import { applySpool, discardSpool, spoolDirFor } from './spool';
import { SqlEvidenceStore } from './sqlStore';
import { fileTimestamp } from './timeFormat';
import { ensureStoreFolder, errCode, SQLITE_HEADER, StoreUnwritableError } from './paths';
export { defaultStorePath, ensureStoreFolder, StoreUnwritableError } from './paths';
import type { RetentionSettings } from './types';

export interface OpenStoreOptions {
  /** The database file; null keeps the store in memory and never writes it. */
  path: string | null;
  clock?: Clock;
  logger?: Logger;
  /** Save this long after the last change (default 1000 ms)... */
  debounceMs?: number;
  /** ...but never later than this after the first unsaved change (default 5000 ms). */
  maxDelayMs?: number;
  retention?: Partial<RetentionSettings>;
  /** Who holds the lock, as a second writer is told (default `flowforge <subcommand>`). */
  lockCommand?: string;
}

export interface OpenedStore {
  store: SqlEvidenceStore;
  /** Things the user should hear about (a corrupt file moved aside, a missing file for a reader); returned, not logged. */
  warnings: string[];
}

/** The file is SQLite, but not a store this FlowForge can use: left untouched. */
export class StoreIncompatibleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreIncompatibleError';
  }
}


function readStoreFile(path: string): Buffer | null {
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'EISDIR') throw new StoreIncompatibleError(`store path ${path} is a folder; give a file path (for example --db ${join(path, 'flowforge.db')})`);
    if (UNWRITABLE.has(String(code))) throw new StoreUnwritableError(`cannot read store ${path}: ${code}`);
    throw new Error(`cannot read store ${path}: ${(err as Error).message}`);
  }
}

/** Opens database bytes and says what they hold; throws when they are not a readable SQLite database. */
function openBytes(SQL: SqlJsStatic, bytes: Buffer): { db: Database; state: SchemaState } {
  if (bytes.subarray(0, 16).toString('latin1') !== SQLITE_HEADER) throw new Error('not a SQLite database (bad header)');
  const db = new SQL.Database(bytes);
  try {
    return { db, state: inspectSchema(db) };
  } catch (err) {
    db.close();
    throw err;
  }
}

function refuseIncompatible(path: string, state: SchemaState): void {
  if (state.kind === 'foreign') {
    throw new StoreIncompatibleError(`${path} is ${state.detail}, not a FlowForge store; it was left untouched — use --db to pick another file`);
  }
  if (state.kind === 'newer') {
    throw new StoreIncompatibleError(
      `store ${path} has schema version ${state.version}, newer than this FlowForge understands (${SCHEMA_VERSION}); ` +
        'update FlowForge or use --db to pick another file',
    );
  }
}

const versionOf = (state: SchemaState) => (state.kind === 'flowforge' ? state.version : 0);

function moveAside(path: string, now: number): string {
  const base = `${path}.corrupt-${fileTimestamp(now)}`;
  let aside = base;
  for (let n = 1; existsSync(aside); n++) aside = `${base}-${n}`;
  renameSync(path, aside);
  return aside;
}

/** Loads the store file for the writer; a file that is not a valid database is moved aside and replaced by a fresh one. */
interface Loaded {
  db: Database;
  version: number;
  sizeBytes: number;
  warning: string | null;
}

function loadForWriting(SQL: SqlJsStatic, path: string, now: number): Loaded {
  const bytes = readStoreFile(path);
  if (!bytes || bytes.length === 0) return { db: new SQL.Database(), version: 0, sizeBytes: 0, warning: null };
  let opened: { db: Database; state: SchemaState };
  try {
    opened = openBytes(SQL, bytes);
  } catch (err) {
    const aside = moveAside(path, now);
    const warning = `store ${path} is not a valid database (${(err as Error).message}); moved it aside to ${aside} and started a fresh store at ${path}`;
    return { db: new SQL.Database(), version: 0, sizeBytes: 0, warning };
  }
  try {
    refuseIncompatible(path, opened.state);
  } catch (err) {
    opened.db.close();
    throw err;
  }
  return { db: opened.db, version: versionOf(opened.state), sizeBytes: bytes.length, warning: null };
}

function checkTiming(debounceMs: number, maxDelayMs: number): void {
  if (!(debounceMs > 0) || !(maxDelayMs >= debounceMs)) {
    throw new Error(`store save timing needs 0 < debounceMs <= maxDelayMs, got debounceMs ${debounceMs} and maxDelayMs ${maxDelayMs}`);
  }
}

/** Errors of the file system that mean "not here", as opposed to bugs. */
const UNWRITABLE = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOENT', 'ENOTDIR', 'ENOSPC', 'EDQUOT', 'EISDIR', 'EINVAL', 'EIO']);

function takeLock(path: string, command: string): HeldLock {
  try {
    return acquireLock(path, command);
  } catch (err) {
    if (UNWRITABLE.has(String(errCode(err)))) throw new StoreUnwritableError(`cannot create the lock file of store ${path}: ${errCode(err)}`);
    throw err;
  }
}

/** Opens (or creates) a store for writing. Throws StoreLockedError when another live process writes it. */
export async function openStore(opts: OpenStoreOptions): Promise<OpenedStore> {
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? silentLogger;
  const retention = retentionSettings(opts.retention);
  const debounceMs = opts.debounceMs ?? 1000;
  const maxDelayMs = opts.maxDelayMs ?? 5000;
  checkTiming(debounceMs, maxDelayMs);
  const SQL = await loadSqlJs();
  const base = { clock, logger, retention, schemaVersion: SCHEMA_VERSION, readOnly: false };

  if (opts.path === null) {
    const raw = new SQL.Database();
    migrate(raw, 0);
    const store = new SqlEvidenceStore({ ...base, db: new SqlDb(raw), path: null, saver: null, lock: null });
    return { store, warnings: [] };
  }

  const path = resolve(opts.path);
  ensureStoreFolder(path);
  const lock = takeLock(path, opts.lockCommand ?? `flowforge ${process.argv[2] ?? ''}`.trim());
  try {
    if (lock.recoveredFrom) logger.info(`took over the lock of ${path} from pid ${lock.recoveredFrom.pid}, which is no longer running`);
    rmSync(tempPathFor(path), { force: true });
    const loaded = loadForWriting(SQL, path, clock.now());
    const warnings = loaded.warning ? [loaded.warning] : [];
    if (loaded.version < SCHEMA_VERSION) {
      migrate(loaded.db, loaded.version);
      if (loaded.version > 0) logger.info(`migrated store ${path} from schema version ${loaded.version} to ${SCHEMA_VERSION}`);
    }
    const db = new SqlDb(loaded.db);
    const saver: Saver = new Saver({
      path,
      clock,
      logger,
      debounceMs,
      maxDelayMs,
      exportBytes: () => db.export(),
      initialSizeBytes: loaded.sizeBytes,
      beforeWrite: () => lock.verify(() => saver.fileUnchanged()),
    });
    const store = new SqlEvidenceStore({ ...base, db, path, saver, lock });
    try {
      store.maintain(true);
    } catch (err) {
      warnings.push(`retention could not run on opening ${path}: ${(err as Error).message}; the store works, it is just not trimmed yet`);
    }
    const spooled = applySpool(store, path, true);
    warnings.push(...spooled.warnings);
    if (loaded.version < SCHEMA_VERSION || spooled.applied.length > 0) {
      saver.markDirty();
      await store.flush().catch((err: Error) => warnings.push(err.message));
    }
    // Only once the store that holds them is on disk: a failed save keeps the spool for the next open.
    if (!saver.snapshot().dirty) discardSpool(spooled);
    else if (spooled.applied.length > 0) warnings.push(`kept ${spooled.applied.length} spool file(s) in ${spoolDirFor(path)} until the store can be saved`);
    return { store, warnings };
  } catch (err) {
    lock.release();
    throw err;
  }
}

/**
 * Opens the last saved state of a store for reading, without the lock and
 * without ever writing. A missing file reads as an empty store (with a warning).
 */
export async function openStoreReadOnly(path: string, opts: { clock?: Clock; logger?: Logger } = {}): Promise<OpenedStore> {
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? silentLogger;
  const SQL = await loadSqlJs();
  const file = resolve(path);
  const bytes = readStoreFile(file);
  const warnings: string[] = [];
  let raw: Database;
  let version = 0;
  if (!bytes || bytes.length === 0) {
    raw = new SQL.Database();
    warnings.push(`store ${file} does not exist yet; nothing has been recorded there`);
  } else {
    let opened: { db: Database; state: SchemaState };
    try {
      opened = openBytes(SQL, bytes);
    } catch (err) {
      throw new StoreIncompatibleError(
        `store ${file} is not a valid database (${(err as Error).message}); the next \`flowforge run --db ${file}\` moves it aside`,
      );
    }
    raw = opened.db;
    try {
      refuseIncompatible(file, opened.state);
    } catch (err) {
      raw.close();
      throw err;
    }
    version = versionOf(opened.state);
  }
  migrate(raw, version);
  const db = new SqlDb(raw);
  const base = { db, path: file, clock, logger, retention: retentionSettings(), schemaVersion: SCHEMA_VERSION, saver: null, lock: null };
  // Runs that short `flowforge run`s spooled are shown too, from this copy in memory; the file and the spool stay as they are.
  applySpool(new SqlEvidenceStore({ ...base, readOnly: false }), file, false);
  const store = new SqlEvidenceStore({ ...base, readOnly: true });
  return { store, warnings };
}
