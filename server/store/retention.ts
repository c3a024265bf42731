// Keeping the store small, so that exporting it stays fast: by age and by row
// caps per table. Every step trims from the oldest end along an index (seq,
// start time, creation time), so a pass costs little when there is little to
// drop. Decision, lifecycle and audit rows share their journal row's seq and
// are trimmed together with it.
import type { RetentionSettings } from './types';
import type { SqlDb } from './sqlDb';

export const DEFAULT_RETENTION: Readonly<RetentionSettings> = {
  maxAgeDays: 30,
  maxJournalRows: 200_000,
  maxDecisions: 50_000,
  maxLifecycleEvents: 50_000,
  maxAuditEvents: 50_000,
  maxIncidents: 10_000,
  maxRuns: 20_000,
  maxSamplesPerRun: 20_000,
  maxSamples: 300_000,
  idempotencyMaxAgeHours: 24,
  maxIdempotencyRecords: 10_000,
};

export function retentionSettings(overrides: Partial<RetentionSettings> = {}): RetentionSettings {
  const merged = { ...DEFAULT_RETENTION, ...overrides };
  for (const [name, value] of Object.entries(merged)) {
    if (typeof value !== 'number' || Number.isNaN(value) || value <= 0) {
      throw new Error(`retention setting ${name} must be a positive number (Infinity to turn it off), got ${String(value)}`);
    }
  }
  return merged;
}

export type RetentionReport = Record<'runs' | 'samples' | 'journal' | 'records' | 'incidents' | 'idempotency', number>;

const DAY_MS = 86_400_000;
const RECORD_TABLES = [
  { table: 'decisions', kind: 'decision', cap: 'maxDecisions' },
  { table: 'lifecycle', kind: 'lifecycle', cap: 'maxLifecycleEvents' },
  { table: 'audit', kind: 'audit', cap: 'maxAuditEvents' },
] as const;

/** The sort value of the row at position `keep` counting from the newest (the first row to drop), if any. */
function firstDropped(db: SqlDb, sql: string, keep: number): number | undefined {
  if (!Number.isFinite(keep)) return undefined;
  const v = db.value(`${sql} LIMIT 1 OFFSET ?`, [keep]);
  return v === undefined || v === null ? undefined : Number(v);
}

/** Drops journal rows (and their records) with seq <= upTo; only one kind when given. */
function trimJournal(db: SqlDb, upTo: number, report: RetentionReport, kind?: string): void {
  for (const r of RECORD_TABLES) {
    if (!kind || kind === r.kind) report.records += db.run(`DELETE FROM ${r.table} WHERE seq <= ?`, [upTo]);
  }
  report.journal += kind
    ? db.run('DELETE FROM journal WHERE seq <= ? AND kind = ?', [upTo, kind])
    : db.run('DELETE FROM journal WHERE seq <= ?', [upTo]);
}

function trimRuns(db: SqlDb, s: RetentionSettings, cutoff: number, report: RetentionReport): void {
  const finishedBefore = (where: string, params: (number | string)[]) => {
    const ids = `SELECT id FROM runs WHERE ended_at IS NOT NULL AND ${where}`;
    report.samples += db.run(`DELETE FROM samples WHERE run_id IN (${ids})`, params);
    report.runs += db.run(`DELETE FROM runs WHERE id IN (${ids})`, params);
  };
  finishedBefore('ended_at < ?', [cutoff]);
  const lastStart = firstDropped(db, 'SELECT started_at FROM runs WHERE ended_at IS NOT NULL ORDER BY started_at DESC', s.maxRuns);
  if (lastStart !== undefined) finishedBefore('started_at <= ?', [lastStart]);
}

function trimSamples(db: SqlDb, s: RetentionSettings, cutoff: number, report: RetentionReport): void {
  report.samples += db.run('DELETE FROM samples WHERE t < ?', [cutoff]);
  if (!Number.isFinite(s.maxSamples)) return;
  let total = Number(db.value('SELECT count(*) FROM samples'));
  if (total <= s.maxSamples) return;
  const runs = db.all('SELECT run_id, count(*) AS n FROM samples GROUP BY run_id ORDER BY max(t)');
  for (const r of runs.slice(0, -1)) {
    if (total <= s.maxSamples) break;
    const n = db.run('DELETE FROM samples WHERE run_id = ?', [r.run_id as string]);
    report.samples += n;
    total -= n;
  }
}

function trimTimeline(db: SqlDb, s: RetentionSettings, cutoff: number, report: RetentionReport): void {
  const firstYoung = db.value('SELECT seq FROM journal WHERE t >= ? ORDER BY seq LIMIT 1', [cutoff]);
  const oldestSeq = db.value('SELECT seq FROM journal ORDER BY seq LIMIT 1');
  if (oldestSeq !== undefined && firstYoung !== oldestSeq) {
    trimJournal(db, firstYoung === undefined ? Number.MAX_SAFE_INTEGER : Number(firstYoung) - 1, report);
  }
  const overCap = firstDropped(db, 'SELECT seq FROM journal ORDER BY seq DESC', s.maxJournalRows);
  if (overCap !== undefined) trimJournal(db, overCap, report);
  for (const r of RECORD_TABLES) {
    const seq = firstDropped(db, `SELECT seq FROM ${r.table} ORDER BY seq DESC`, s[r.cap]);
    if (seq !== undefined) trimJournal(db, seq, report, r.kind);
  }
}

function trimIncidents(db: SqlDb, s: RetentionSettings, cutoff: number, report: RetentionReport): void {
  report.incidents += db.run('DELETE FROM incidents WHERE updated_at < ?', [cutoff]);
  const opened = firstDropped(db, 'SELECT opened_at FROM incidents ORDER BY opened_at DESC', s.maxIncidents);
  if (opened !== undefined) report.incidents += db.run('DELETE FROM incidents WHERE opened_at <= ?', [opened]);
}

function trimIdempotency(db: SqlDb, s: RetentionSettings, now: number, report: RetentionReport): void {
  report.idempotency += db.run('DELETE FROM idempotency WHERE created_at < ?', [now - s.idempotencyMaxAgeHours * 3_600_000]);
  const created = firstDropped(db, 'SELECT created_at FROM idempotency ORDER BY created_at DESC', s.maxIdempotencyRecords);
  if (created !== undefined) report.idempotency += db.run('DELETE FROM idempotency WHERE created_at <= ?', [created]);
}

/** Applies every retention rule once; returns how many rows each part dropped. */
export function applyRetention(db: SqlDb, s: RetentionSettings, now: number): RetentionReport {
  const report: RetentionReport = { runs: 0, samples: 0, journal: 0, records: 0, incidents: 0, idempotency: 0 };
  const cutoff = now - s.maxAgeDays * DAY_MS;
  db.atomic(() => {
    trimRuns(db, s, cutoff, report);
    trimSamples(db, s, cutoff, report);
    trimTimeline(db, s, cutoff, report);
    trimIncidents(db, s, cutoff, report);
    trimIdempotency(db, s, now, report);
  });
  releaseFreePages(db);
  return report;
}

/** Gives freed pages back once they are a sizeable share of the file, so the next export is smaller. */
function releaseFreePages(db: SqlDb): void {
  const free = Number(db.value('PRAGMA freelist_count'));
  const pages = Number(db.value('PRAGMA page_count'));
  if (free > 64 && free * 10 > pages) db.batch(() => db.all('PRAGMA incremental_vacuum'));
}
