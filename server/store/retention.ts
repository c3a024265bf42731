// Keeping the store small, so that exporting it stays fast: by age and by row
// caps per table. A pass must cost next to nothing when there is nothing to
// drop, so it never scans a big table to find out: ages are trimmed from the
// oldest end along an index, the journal cap is a window of seqs, and the big
// tables' caps compare row counters the store keeps (counted once on open).
// Over a cap, a table is trimmed to 90% of it, so the costly search for the
// cut-off point runs once per tenth of the cap, not on every pass.
import type { RetentionSettings } from './types';
import type { SqlDb } from './sqlDb';

export const DEFAULT_RETENTION: Readonly<RetentionSettings> = {
  maxAgeDays: 30,
  maxJournalRows: 200_000,
  maxDecisions: 50_000,
  maxContinueDecisionAgeHours: 72,
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

/**
 * What retention remembers between passes: row counts of the tables too big
 * to count every time (the store adds its inserts), and how far routine
 * decisions have been thinned already.
 */
export interface RetentionState {
  samples: number;
  decisions: number;
  lifecycle: number;
  audit: number;
  continueTrimmedTo: number;
}

export function initialRetentionState(db: SqlDb): RetentionState {
  const count = (table: string) => Number(db.value(`SELECT count(*) FROM ${table}`));
  return { samples: count('samples'), decisions: count('decisions'), lifecycle: count('lifecycle'), audit: count('audit'), continueTrimmedTo: 0 };
}

export type RetentionReport = Record<'runs' | 'samples' | 'journal' | 'decisions' | 'lifecycle' | 'audit' | 'incidents' | 'idempotency', number>;

const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
const LOW_WATER = 0.9;
const RECORD_TABLES = [
  { table: 'decisions', kind: 'decision', cap: 'maxDecisions' },
  { table: 'lifecycle', kind: 'lifecycle', cap: 'maxLifecycleEvents' },
  { table: 'audit', kind: 'audit', cap: 'maxAuditEvents' },
] as const;

/** How many rows a table over its cap keeps (the low-water mark). */
export const keepAfterTrim = (cap: number) => Math.max(1, Math.floor(cap * LOW_WATER));

/** The sort value of the first row past the newest `keep` ones, if there are more. */
function firstDropped(db: SqlDb, sql: string, keep: number): number | undefined {
  if (!Number.isFinite(keep)) return undefined;
  const v = db.value(`${sql} LIMIT 1 OFFSET ?`, [keep]);
  return v === undefined || v === null ? undefined : Number(v);
}

/** Drops journal rows with seq <= upTo, and the records that share their seq; only one kind when given. */
function trimJournal(db: SqlDb, upTo: number, report: RetentionReport, counts: RetentionState, kind?: string): void {
  for (const r of RECORD_TABLES) {
    if (kind && kind !== r.kind) continue;
    const n = db.run(`DELETE FROM ${r.table} WHERE seq <= ?`, [upTo]);
    report[r.table] += n;
    counts[r.table] -= n;
  }
  report.journal += kind
    ? db.run('DELETE FROM journal WHERE seq <= ? AND kind = ?', [upTo, kind])
    : db.run('DELETE FROM journal WHERE seq <= ?', [upTo]);
}

function trimRuns(db: SqlDb, s: RetentionSettings, cutoff: number, report: RetentionReport, counts: RetentionState): void {
  const dropFinished = (where: string, param: number) => {
    const ids = `SELECT id FROM runs WHERE ended_at IS NOT NULL AND ${where}`;
    const n = db.run(`DELETE FROM samples WHERE run_id IN (${ids})`, [param]);
    report.samples += n;
    counts.samples -= n;
    report.runs += db.run(`DELETE FROM runs WHERE id IN (${ids})`, [param]);
  };
  // started_at bounds ended_at from below, so its index finds the candidates.
  dropFinished('started_at < ?1 AND ended_at < ?1', cutoff);
  if (Number(db.value('SELECT count(*) FROM runs')) <= s.maxRuns) return;
  const start = firstDropped(db, 'SELECT started_at FROM runs WHERE ended_at IS NOT NULL ORDER BY started_at DESC', keepAfterTrim(s.maxRuns));
  if (start !== undefined) dropFinished('started_at <= ?', start);
}

/** Over the total cap, drops whole runs' samples, the runs whose newest sample is oldest first. */
function trimSamples(db: SqlDb, s: RetentionSettings, report: RetentionReport, counts: RetentionState): void {
  if (counts.samples <= s.maxSamples) return;
  counts.samples = Number(db.value('SELECT count(*) FROM samples'));
  const runs = db.all('SELECT run_id FROM samples GROUP BY run_id ORDER BY max(t)');
  for (const r of runs.slice(0, -1)) {
    if (counts.samples <= keepAfterTrim(s.maxSamples)) break;
    const n = db.run('DELETE FROM samples WHERE run_id = ?', [r.run_id as string]);
    report.samples += n;
    counts.samples -= n;
  }
}

function trimTimeline(db: SqlDb, s: RetentionSettings, cutoff: number, report: RetentionReport, counts: RetentionState): void {
  const oldest = db.value('SELECT seq FROM journal ORDER BY seq LIMIT 1');
  if (oldest === undefined) return;
  const firstYoung = db.value('SELECT seq FROM journal WHERE t >= ? ORDER BY seq LIMIT 1', [cutoff]);
  const newest = Number(db.value("SELECT seq FROM sqlite_sequence WHERE name = 'journal'"));
  const byAge = firstYoung === undefined ? newest : Number(firstYoung) - 1;
  const byCap = Number.isFinite(s.maxJournalRows) && newest - Number(oldest) >= s.maxJournalRows ? newest - keepAfterTrim(s.maxJournalRows) : 0;
  if (Math.max(byAge, byCap) >= Number(oldest)) trimJournal(db, Math.max(byAge, byCap), report, counts);
  for (const r of RECORD_TABLES) {
    if (counts[r.table] <= s[r.cap]) continue;
    const seq = firstDropped(db, `SELECT seq FROM ${r.table} ORDER BY seq DESC`, keepAfterTrim(s[r.cap]));
    if (seq !== undefined) trimJournal(db, seq, report, counts, r.kind);
  }
}

/** Drops routine `continue` decisions older than their own age limit, looking only at rows since the last pass. */
function trimRoutineDecisions(db: SqlDb, s: RetentionSettings, now: number, report: RetentionReport, counts: RetentionState): void {
  const cutoff = now - s.maxContinueDecisionAgeHours * HOUR_MS;
  const from = counts.continueTrimmedTo;
  const firstYoung = db.value('SELECT seq FROM journal WHERE seq > ? AND t >= ? ORDER BY seq LIMIT 1', [from, cutoff]);
  const upTo = firstYoung === undefined ? Number(db.value("SELECT seq FROM sqlite_sequence WHERE name = 'journal'") ?? 0) : Number(firstYoung) - 1;
  if (upTo <= from) return;
  const routine = `SELECT seq FROM decisions WHERE seq > ?1 AND seq <= ?2 AND action = 'continue'
    AND json_extract(json, '$.intended') = 'continue' AND json_extract(json, '$.incident_id') IS NULL`;
  report.journal += db.run(`DELETE FROM journal WHERE seq IN (${routine})`, [from, upTo]);
  const n = db.run(`DELETE FROM decisions WHERE seq IN (${routine})`, [from, upTo]);
  report.decisions += n;
  counts.decisions -= n;
  counts.continueTrimmedTo = upTo;
}

function trimIncidents(db: SqlDb, s: RetentionSettings, cutoff: number, report: RetentionReport): void {
  report.incidents += db.run('DELETE FROM incidents WHERE opened_at < ?1 AND updated_at < ?1', [cutoff]);
  if (Number(db.value('SELECT count(*) FROM incidents')) <= s.maxIncidents) return;
  const opened = firstDropped(db, 'SELECT opened_at FROM incidents ORDER BY opened_at DESC', keepAfterTrim(s.maxIncidents));
  if (opened !== undefined) report.incidents += db.run('DELETE FROM incidents WHERE opened_at <= ?', [opened]);
}

/** Days of replay counts kept: the history route reads at most this many. */
export const IDEMPOTENCY_HISTORY_DAYS = 90;

function trimIdempotency(db: SqlDb, s: RetentionSettings, now: number, report: RetentionReport): void {
  db.run('DELETE FROM idempotency_days WHERE day <= ?', [Math.floor(now / DAY_MS) - IDEMPOTENCY_HISTORY_DAYS]);
  report.idempotency += db.run('DELETE FROM idempotency WHERE created_at < ?', [now - s.idempotencyMaxAgeHours * HOUR_MS]);
  if (Number(db.value('SELECT count(*) FROM idempotency')) <= s.maxIdempotencyRecords) return;
  const created = firstDropped(db, 'SELECT created_at FROM idempotency ORDER BY created_at DESC', keepAfterTrim(s.maxIdempotencyRecords));
  if (created !== undefined) report.idempotency += db.run('DELETE FROM idempotency WHERE created_at <= ?', [created]);
}

/** Applies every retention rule once, keeping `counts` current; returns how many rows each table lost. */
export function applyRetention(db: SqlDb, s: RetentionSettings, now: number, counts: RetentionState): RetentionReport {
  const report: RetentionReport = { runs: 0, samples: 0, journal: 0, decisions: 0, lifecycle: 0, audit: 0, incidents: 0, idempotency: 0 };
  const cutoff = now - s.maxAgeDays * DAY_MS;
  db.atomic(() => {
    trimRuns(db, s, cutoff, report, counts);
    trimSamples(db, s, report, counts);
    trimRoutineDecisions(db, s, now, report, counts);
    trimTimeline(db, s, cutoff, report, counts);
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
