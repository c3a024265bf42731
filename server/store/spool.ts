// The spool: what a short `flowforge run` recorded, left beside the store for
// the next process that opens it.
//
// Opening the store costs a `flowforge run` more than everything else it does
// at start-up (SQLite's wasm, reading the whole file, writing it back). A job
// that is over before the store would even be opened (`true`, `git status`,
// the many short commands an agent wraps) should not pay that: its records are
// written as one small file in `<store>.spool/` instead, atomically and
// redacted like the store's own rows, and the next writer that opens the store
// imports them in order (any `flowforge run` that lives long enough, the VS
// Code backend, `flowforge api`). Readers (`incidents`, `timeline`) see spooled
// runs too: they apply them to their in-memory copy without consuming them.
//
// Import is idempotent without any bookkeeping in the store: a spooled run is
// always finished, so a spool whose runs the store already holds as finished
// was imported before (a crash between saving the store and deleting the file)
// and is dropped instead of being applied twice.
import { readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { redactDeep, redactRecord } from '../shared/redact';
import type { Run } from '../shared/protocol/domain';
import { ensureStoreFolder } from './paths';
import { writeFileAtomic } from './persist';
import { redactRunRecord } from './recordRedaction';
import { fileTimestamp } from './timeFormat';
import type { EvidenceStore } from './types';

export const SPOOL_FORMAT = 'flowforge-spool';
export const SPOOL_VERSION = 1;
/**
 * Past this many waiting spool files a run opens the store itself (and so
 * imports them): a user who only ever runs short commands must not grow a
 * folder without end.
 */
export const SPOOL_MAX_FILES = 200;

export const SPOOLED_WRITES = ['upsertRun', 'addSample', 'addDecision', 'upsertIncident', 'addLifecycle', 'addAudit'] as const;
export type SpooledWrite = (typeof SPOOLED_WRITES)[number];
export type SpooledCall = [SpooledWrite, unknown[]];
const isSpooledWrite = (name: unknown): name is SpooledWrite => (SPOOLED_WRITES as readonly unknown[]).includes(name);

interface SpoolFile {
  format: typeof SPOOL_FORMAT;
  version: number;
  pid: number;
  created_at: number;
  calls: SpooledCall[];
}

export const spoolDirFor = (dbPath: string) => `${dbPath}.spool`;

/** The same redaction the store applies to each write, so no secret reaches the disk on this path either. */
function redactCall([name, args]: SpooledCall): SpooledCall {
  const [record, note] = args as [object, unknown];
  if (name === 'addSample') return [name, args];
  const redacted = name === 'upsertRun' ? redactRunRecord(record as Run) : redactRecord(record);
  return [name, note === undefined ? [redacted] : [redacted, redactDeep(note)]];
}

/** How many spool files wait for an import (0 when there is no spool folder). */
export function pendingSpoolFiles(dbPath: string): number {
  try {
    return readdirSync(spoolDirFor(dbPath)).filter((f) => f.endsWith('.json')).length;
  } catch {
    return 0;
  }
}

/** Writes the calls as one spool file (atomically: temp file, fsync, rename). Returns its path. */
export async function writeSpool(dbPath: string, calls: readonly SpooledCall[], now: number): Promise<string> {
  const dir = spoolDirFor(dbPath);
  ensureStoreFolder(join(dir, 'x'));
  const body: SpoolFile = { format: SPOOL_FORMAT, version: SPOOL_VERSION, pid: process.pid, created_at: now, calls: calls.map(redactCall) };
  // Names sort in time order: the import applies older runs first.
  const ms = String(Math.floor(now) % 1000).padStart(3, '0');
  const file = join(dir, `${fileTimestamp(now)}-${ms}-${process.pid}-${randomBytes(4).toString('hex')}.json`);
  await writeFileAtomic(file, Buffer.from(JSON.stringify(body)));
  return file;
}

function parseSpool(text: string): SpoolFile {
  const v = JSON.parse(text) as Partial<SpoolFile>;
  if (v.format !== SPOOL_FORMAT) throw new Error('not a FlowForge spool file');
  if (v.version !== SPOOL_VERSION) throw new Error(`spool format version ${String(v.version)}, this FlowForge reads ${SPOOL_VERSION}`);
  if (!Array.isArray(v.calls)) throw new Error('no list of calls');
  for (const c of v.calls) {
    if (!Array.isArray(c) || !isSpooledWrite(c[0]) || !Array.isArray(c[1]) || typeof c[1][0] !== 'object' || c[1][0] === null)
      throw new Error(`a call it holds is not a store write (${JSON.stringify(c).slice(0, 80)})`);
  }
  return v as SpoolFile;
}

/** True when the store already holds every run of the spool as finished: it was imported before. */
function alreadyImported(store: EvidenceStore, calls: readonly SpooledCall[]): boolean {
  const runIds = new Set(calls.filter(([n]) => n === 'upsertRun').map(([, a]) => (a[0] as Run).id));
  if (runIds.size === 0) return false;
  for (const id of runIds) {
    const run = store.getRun(id);
    if (!run || run.ended_at === null) return false;
  }
  return true;
}

export interface SpoolImport {
  /** Spool files applied to the store. */
  applied: string[];
  /** Spool files the store held already (dropped when consuming). */
  duplicates: string[];
  warnings: string[];
}

/**
 * Applies every waiting spool file to `store`, oldest first. With `consume`
 * (the lock holder) the caller saves the store and then calls `discard` on
 * the result; unreadable files are moved aside (`.corrupt`), never deleted.
 * Without it (a reader), nothing on disk changes.
 */
export function applySpool(store: EvidenceStore, dbPath: string, consume: boolean): SpoolImport {
  const dir = spoolDirFor(dbPath);
  const result: SpoolImport = { applied: [], duplicates: [], warnings: [] };
  let names: string[];
  try {
    names = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  } catch {
    return result;
  }
  for (const name of names) {
    const file = join(dir, name);
    let spool: SpoolFile;
    try {
      spool = parseSpool(readFileSync(file, 'utf8'));
    } catch (err) {
      if (!consume) continue;
      const aside = `${file}.corrupt`;
      renameSync(file, aside);
      result.warnings.push(`spool file ${file} could not be read (${(err as Error).message}); moved it aside to ${aside}, the store is unchanged`);
      continue;
    }
    if (alreadyImported(store, spool.calls)) {
      result.duplicates.push(file);
      continue;
    }
    for (const [method, args] of spool.calls) (store[method] as (...a: unknown[]) => unknown)(...args);
    result.applied.push(file);
  }
  return result;
}

/** Deletes the spool files of an import once the store that holds them is saved. */
export function discardSpool(done: SpoolImport): void {
  for (const file of [...done.applied, ...done.duplicates]) rmSync(file, { force: true });
}
