// The evidence store on one sql.js database: writes redact, land in the
// current batch and mark the file dirty for the saver; reads page newest
// first with opaque cursors. See schema.ts for the layout.
import { createHash } from 'node:crypto';
import type {
  AuditEvent,
  Decision,
  Incident,
  LifecycleEvent,
  Run,
  Sample,
  Signature,
  TimelineEvent,
  TimelineKind,
  Workspace,
} from '../shared/protocol/domain';
import type { Clock, TimerHandle } from '../util/clock';
import type { Logger } from '../util/logger';
import { DETAIL_CHAIN_ROWS } from '../shared/protocol/panelDefaults';
import { redactRunRecord } from './recordRedaction';
import { decodeCursor, encodeCursor } from './cursor';
import type { HeldLock } from './lock';
import type { Saver } from './persist';
import { redact, redactDeep, redactRecord } from '../shared/redact';
import { applyRetention, DAY_MS, initialRetentionState, type RetentionReport, type RetentionState } from './retention';
import { allowSignatures, learnSignature, listSignatures, signaturesOfIncident } from './signatures';
import { capRunSamples, compactRunSamples, INSERT_SAMPLE, sampleFromRow, sampleParams } from './samples';
import type { Row, SqlDb } from './sqlDb';
import type {
  EvidenceStore,
  IdempotencyDay,
  IdempotencyOutcomeKind,
  IdempotencyRecord,
  IncidentRecordDetail,
  JournalNote,
  Page,
  PageQuery,
  RetentionSettings,
  StoreHealth,
} from './types';

/** How often touched runs' samples are folded into coarser tiers. */
export const COMPACT_EVERY_MS = 60_000;
/** How often the age and row-cap rules run while the store is written. */
export const RETAIN_EVERY_MS = 10 * 60_000;
const MAX_PAGE = 500;
const CHAIN_LIMIT = DETAIL_CHAIN_ROWS;
const SUMMARY_MAX = 300;
/** Bound of the per-run memos (owner/workspace, fold progress); they are refilled from the database. */
const RUN_MEMO_MAX = 4096;

export interface SqlStoreOptions {
  db: SqlDb;
  path: string | null;
  clock: Clock;
  logger: Logger;
  retention: RetentionSettings;
  schemaVersion: number;
  /** Null for in-memory and read-only stores. */
  saver: Saver | null;
  lock: HeldLock | null;
  readOnly: boolean;
}

export interface StoreStats {
  rows: Record<'runs' | 'samples' | 'journal' | 'decisions' | 'incidents' | 'lifecycle' | 'audit' | 'workspaces' | 'idempotency', number>;
  pageCount: number;
  pageSize: number;
}

interface RunMeta {
  owner: string | null;
  workspace_id: string | null;
}

interface JournalEntry {
  kind: TimelineKind;
  ref_id: string;
  t: number;
  run_id: string | null;
  incident_id?: string | null;
  workspace_id?: string | null;
  request_id?: string | null;
  summary: string;
  /** The record as stored; kept in the journal row itself only for mutable records (runs, incidents). */
  data: Record<string, unknown>;
  snapshot: boolean;
}

const TIMELINE_SELECT = `
  SELECT j.seq, j.t, j.kind, j.ref_id, j.run_id, j.incident_id, j.workspace_id, j.request_id, j.summary,
         COALESCE(j.data, d.json, l.json, a.json) AS data
  FROM journal j
  LEFT JOIN decisions d ON d.seq = j.seq
  LEFT JOIN lifecycle l ON l.seq = j.seq
  LEFT JOIN audit a ON a.seq = j.seq`;

const INSERT_JOURNAL = `
  INSERT INTO journal (t, kind, ref_id, run_id, incident_id, workspace_id, request_id, owner, summary, data)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq`;

const nullable = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const clip = (s: string) => (s.length > SUMMARY_MAX ? `${s.slice(0, SUMMARY_MAX - 1)}…` : s);
const pageLimit = (limit: number) => Math.min(MAX_PAGE, Math.max(1, Math.floor(limit) || 1));
const parse = <T>(json: unknown): T => JSON.parse(String(json)) as T;
const hashKey = (key: string) => createHash('sha256').update(key).digest('hex');

/**
 * A stored API answer (JSON text): redacted value by value, so it stays
 * valid JSON; text that is not JSON is redacted as text.
 */
function redactJsonText(json: string): string {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return redact(json);
  }
  return JSON.stringify(redactDeep(value));
}

function decisionSummary(d: Decision): string {
  const held = d.action !== d.intended ? ` (policy wanted ${d.intended}; ${d.rollout} mode)` : '';
  return `${d.action}${held}: ${d.reason}`;
}

function toEvent(r: Row): TimelineEvent {
  return {
    seq: Number(r.seq),
    t: Number(r.t),
    kind: r.kind as TimelineKind,
    ref_id: String(r.ref_id),
    run_id: nullable(r.run_id),
    incident_id: nullable(r.incident_id),
    workspace_id: nullable(r.workspace_id),
    request_id: nullable(r.request_id),
    summary: String(r.summary),
    data: r.data === null ? {} : parse<Record<string, unknown>>(r.data),
  };
}

/** WHERE clauses and their parameters, built filter by filter. */
class Where {
  private clauses: string[] = [];
  readonly params: (string | number)[] = [];

  add(clause: string, ...params: (string | number)[]): this {
    this.clauses.push(clause);
    this.params.push(...params);
    return this;
  }

  when<V>(value: V | undefined | null, clause: string, param?: (v: V) => (string | number)[]): this {
    if (value === undefined || value === null) return this;
    return this.add(clause, ...(param ? param(value) : [value as unknown as string]));
  }

  toString(): string {
    return this.clauses.length ? ` WHERE ${this.clauses.join(' AND ')}` : '';
  }
}

export class SqlEvidenceStore implements EvidenceStore {
  readonly path: string | null;
  private readonly opts: SqlStoreOptions;
  private closed = false;
  private closing = false;
  private lastSeq: number;
  private runMeta = new Map<string, RunMeta>();
  /** Runs that got samples since the last fold, with their newest sample time. */
  private touchedRuns = new Map<string, number>();
  /** Per run, how far each tier has been folded (lost on restart: the first fold then rereads the run). */
  private foldProgress = new Map<string, number[]>();
  private maintenanceTimer: TimerHandle | null = null;
  private lastRetentionAt: number;
  /** Set up on the first write, then kept current, so retention never has to count big tables. */
  private retained: RetentionState | null = null;

  constructor(opts: SqlStoreOptions) {
    this.opts = opts;
    this.path = opts.path;
    this.lastSeq = Number(opts.db.value("SELECT seq FROM sqlite_sequence WHERE name = 'journal'") ?? 0);
    this.lastRetentionAt = opts.clock.now();
    if (opts.saver || opts.lock) process.on('exit', this.onProcessExit);
  }

  /** The host exited without close(): save what is pending, then free the lock (in that order). */
  private readonly onProcessExit = (): void => {
    try {
      this.opts.saver?.flushSync();
    } catch (err) {
      this.opts.logger.error(`could not save the store to ${this.path} on exit: ${(err as Error).message}`);
    }
    this.opts.lock?.release();
  };

  private get db(): SqlDb {
    if (this.closed) throw new Error(`store ${this.path ?? '(in memory)'} is closed`);
    return this.opts.db;
  }

  private get writer(): SqlDb {
    if (this.opts.readOnly) {
      throw new Error(`store ${this.path} was opened read-only; only the process holding its lock writes to it`);
    }
    if (this.closing) throw new Error(`store ${this.path ?? '(in memory)'} is closing; it takes no more writes`);
    return this.db;
  }

  // ---------------------------------------------------------------- writes

  upsertRun(run: Run, note?: JournalNote): TimelineEvent | null {
    const db = this.writer;
    const r = redactRunRecord(run);
    return this.upsertRecord(
      () => {
        db.run(
          `INSERT INTO runs (id, job_id, workspace_id, owner, started_at, ended_at, json) VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET job_id = excluded.job_id, workspace_id = excluded.workspace_id,
             owner = excluded.owner, started_at = excluded.started_at, ended_at = excluded.ended_at, json = excluded.json`,
          [r.id, r.job_id, r.workspace_id, r.owner, r.started_at, r.ended_at, JSON.stringify(r)],
        );
        this.rememberRun(r.id, { owner: r.owner, workspace_id: r.workspace_id });
      },
      note,
      { kind: 'run', ref_id: r.id, t: this.opts.clock.now(), run_id: r.id, workspace_id: r.workspace_id, data: r },
    );
  }

  addSample(sample: Sample): void {
    const db = this.writer;
    db.batch(() => db.run(INSERT_SAMPLE, sampleParams(sample)));
    this.rowCounts().samples++;
    this.touchedRuns.set(sample.run_id, Math.max(sample.t, this.touchedRuns.get(sample.run_id) ?? 0));
    this.changed();
  }

  addDecision(decision: Decision): TimelineEvent {
    const d = redactRecord(decision);
    return this.appendRecord(
      { kind: 'decision', ref_id: d.id, t: d.t, run_id: d.run_id, incident_id: d.incident_id, summary: decisionSummary(d), data: d, snapshot: false },
      (seq) =>
        this.writer.run('INSERT INTO decisions (seq, id, run_id, t, action, json) VALUES (?, ?, ?, ?, ?, ?)', [
          seq, d.id, d.run_id, d.t, d.action, JSON.stringify(d),
        ]),
      'decisions',
    );
  }

  upsertIncident(incident: Incident, note?: JournalNote): TimelineEvent | null {
    const db = this.writer;
    const i = redactRecord(incident);
    const owner = this.metaOf(i.run_id).owner;
    return this.upsertRecord(
      () =>
        db.run(
          `INSERT INTO incidents (id, run_id, job_id, workspace_id, owner, status, kind, opened_at, updated_at, json)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET run_id = excluded.run_id, job_id = excluded.job_id, workspace_id = excluded.workspace_id,
             owner = excluded.owner, status = excluded.status, kind = excluded.kind, opened_at = excluded.opened_at,
             updated_at = excluded.updated_at, json = excluded.json`,
          [i.id, i.run_id, i.job_id, i.workspace_id, owner, i.status, i.kind, i.opened_at, i.updated_at, JSON.stringify(i)],
        ),
      note,
      { kind: 'incident', ref_id: i.id, t: i.updated_at, run_id: i.run_id, incident_id: i.id, workspace_id: i.workspace_id, data: i },
    );
  }

  addLifecycle(event: LifecycleEvent): TimelineEvent {
    const e = redactRecord(event);
    const summary = `${e.previous ? `${e.previous} → ` : ''}${e.phase}${e.reason ? `: ${e.reason}` : ''}`;
    return this.appendRecord(
      { kind: 'lifecycle', ref_id: e.id, t: e.t, run_id: e.run_id, request_id: e.request_id, summary, data: e, snapshot: false },
      (seq) => this.writer.run('INSERT INTO lifecycle (seq, id, phase, json) VALUES (?, ?, ?, ?)', [seq, e.id, e.phase, JSON.stringify(e)]),
      'lifecycle',
    );
  }

  addAudit(event: AuditEvent): TimelineEvent {
    const e = redactRecord(event);
    const incidentId = typeof e.details.incident_id === 'string' ? e.details.incident_id : null;
    const summary = `${e.actor} ${e.action}${e.reason ? `: ${e.reason}` : ''}`;
    return this.appendRecord(
      {
        kind: 'audit',
        ref_id: e.id,
        t: e.t,
        run_id: e.run_id,
        incident_id: incidentId,
        workspace_id: e.workspace_id,
        request_id: e.request_id,
        summary,
        data: e,
        snapshot: false,
      },
      (seq) =>
        this.writer.run('INSERT INTO audit (seq, id, t, actor, action, request_id, json) VALUES (?, ?, ?, ?, ?, ?, ?)', [
          seq, e.id, e.t, e.actor, e.action, e.request_id, JSON.stringify(e),
        ]),
      'audit',
    );
  }

  upsertWorkspace(ws: Workspace): void {
    const db = this.writer;
    const w = redactRecord(ws, ['path']);
    db.batch(() =>
      db.run('INSERT INTO workspaces (id, path, json) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET path = excluded.path, json = excluded.json', [
        w.id, w.path, JSON.stringify(w),
      ]),
    );
    this.changed();
  }

  deleteWorkspace(id: string): boolean {
    const db = this.writer;
    const removed = db.batch(() => db.run('DELETE FROM workspaces WHERE id = ?', [id])) > 0;
    if (removed) this.changed();
    return removed;
  }

  learnSignature(signature: Signature): { signature: Signature; created: boolean } {
    const db = this.writer;
    const learned = db.atomic(() => learnSignature(db, redactRecord(signature, ['scope', 'signature'])));
    this.changed();
    return learned;
  }

  allowSignatures(incidentId: string, by: { actor: string; reason: string; t: number }): Signature[] {
    const db = this.writer;
    const allowed = db.atomic(() => allowSignatures(db, incidentId, { ...by, reason: redact(by.reason) }));
    if (allowed.length) this.changed();
    return allowed;
  }

  getIdempotency(key: string, endpoint: string): IdempotencyRecord | null {
    const row = this.db.get('SELECT created_at, json FROM idempotency WHERE key_hash = ? AND endpoint = ?', [hashKey(key), endpoint]);
    const maxAge = this.opts.retention.idempotencyMaxAgeHours * 3_600_000;
    if (!row || Number(row.created_at) < this.opts.clock.now() - maxAge) return null;
    return { ...parse<Omit<IdempotencyRecord, 'key'>>(row.json), key };
  }

  /** The first answer for a key wins; a later put with the same key and endpoint is ignored. */
  putIdempotency(record: IdempotencyRecord): void {
    const db = this.writer;
    const { key, ...rest } = { ...record, body: redactJsonText(record.body) };
    db.batch(() =>
      db.run('INSERT OR IGNORE INTO idempotency (key_hash, endpoint, created_at, json) VALUES (?, ?, ?, ?)', [
        hashKey(key), record.endpoint, record.created_at, JSON.stringify(rest),
      ]),
    );
    this.changed();
  }

  countIdempotencyOutcome(outcome: IdempotencyOutcomeKind, t: number): void {
    const db = this.writer;
    const column = outcome === 'replay' ? 'replays' : 'conflicts';
    db.batch(() =>
      db.run(`INSERT INTO idempotency_days (day, ${column}) VALUES (?, 1) ON CONFLICT (day) DO UPDATE SET ${column} = ${column} + 1`, [Math.floor(t / DAY_MS)]),
    );
    this.changed();
  }

  // ---------------------------------------------------------------- reads

  idempotencyDays(fromDay: number, toDay: number): IdempotencyDay[] {
    return this.db
      .all('SELECT day, replays, conflicts FROM idempotency_days WHERE day >= ? AND day <= ? ORDER BY day', [fromDay, toDay])
      .map((r) => ({ day: Number(r.day), replays: Number(r.replays), conflicts: Number(r.conflicts) }));
  }

  getRun(id: string): Run | null {
    const json = this.db.value('SELECT json FROM runs WHERE id = ?', [id]);
    return json === undefined ? null : parse<Run>(json);
  }

  listRuns(q: PageQuery & { workspace_id?: string; owner?: string; job_id?: string; active?: boolean }): Page<Run> {
    const where = new Where()
      .when(q.workspace_id, 'workspace_id = ?')
      .when(q.owner, 'owner = ?')
      .when(q.job_id, 'job_id = ?')
      .when(q.active, q.active ? 'ended_at IS NULL' : 'ended_at IS NOT NULL', () => []);
    return this.pageByTime<Run>('runs', 'started_at', where, q);
  }

  samples(runId: string, range: { from?: number; to?: number; limit?: number } = {}): Sample[] {
    const limit = range.limit ?? this.opts.retention.maxSamplesPerRun;
    const rows = this.db.all(
      'SELECT * FROM samples WHERE run_id = ? AND t >= ? AND t <= ? ORDER BY t DESC LIMIT ?',
      [runId, range.from ?? 0, range.to ?? Number.MAX_SAFE_INTEGER, Number.isFinite(limit) ? limit : -1],
    );
    return rows.reverse().map((r) => sampleFromRow(runId, r));
  }

  getDecision(id: string): Decision | null {
    const json = this.db.value('SELECT json FROM decisions WHERE id = ?', [id]);
    return json === undefined ? null : parse<Decision>(json);
  }

  decisionsForRun(runId: string, limit = 100): Decision[] {
    const rows = this.db.all(
      `SELECT d.json FROM journal j JOIN decisions d ON d.seq = j.seq
       WHERE j.run_id = ? AND j.kind = 'decision' ORDER BY j.seq DESC LIMIT ?`,
      [runId, limit],
    );
    return rows.reverse().map((r) => parse<Decision>(r.json));
  }

  getIncident(id: string): Incident | null {
    const json = this.db.value('SELECT json FROM incidents WHERE id = ?', [id]);
    return json === undefined ? null : parse<Incident>(json);
  }

  listIncidents(
    q: PageQuery & { workspace_id?: string; status?: string; kind?: string; run_id?: string; owner?: string },
  ): Page<Incident> {
    const where = new Where()
      .when(q.workspace_id, 'workspace_id = ?')
      .when(q.status, 'status = ?')
      .when(q.kind, 'kind = ?')
      .when(q.run_id, 'run_id = ?')
      .when(q.owner, 'owner = ?');
    return this.pageByTime<Incident>('incidents', 'opened_at', where, q);
  }

  timeline(q: PageQuery & { kinds?: TimelineKind[]; run_id?: string; workspace_id?: string; owner?: string }): Page<TimelineEvent> {
    const kinds = q.kinds?.length ? q.kinds : null;
    const where = new Where()
      .when(kinds, `j.kind IN (${(kinds ?? []).map(() => '?').join(', ')})`, (k) => k)
      .when(q.run_id, 'j.run_id = ?')
      .when(q.workspace_id, 'j.workspace_id = ?')
      .when(q.owner, 'j.owner = ?');
    if (q.cursor) where.add('j.seq < ?', decodeCursor<[number]>('timeline', q.cursor, [0])[0]);
    return this.page(`${TIMELINE_SELECT}${where} ORDER BY j.seq DESC`, where.params, q.limit, toEvent, (r) =>
      encodeCursor('timeline', [Number(r.seq)]),
    );
  }

  /** The newest CHAIN_LIMIT events of the incident's run and of the incident itself, oldest first. */
  incidentChain(incidentId: string): TimelineEvent[] {
    const incident = this.getIncident(incidentId);
    const runId = incident?.run_id ?? '';
    const rows = this.db.all(
      `${TIMELINE_SELECT} WHERE j.seq IN (
         SELECT seq FROM journal WHERE run_id = ? UNION SELECT seq FROM journal WHERE incident_id = ?)
       ORDER BY j.seq DESC LIMIT ?`,
      [runId, incidentId, CHAIN_LIMIT],
    );
    return rows.reverse().map(toEvent);
  }

  /**
   * The incident with everything its drill-down shows, in one read: its run,
   * the run's newest `samples` samples, the incident's decisions and its chain
   * (all oldest first). Null when there is no such incident.
   */
  incidentDetail(incidentId: string, samples: number): IncidentRecordDetail | null {
    const incident = this.getIncident(incidentId);
    if (!incident) return null;
    const decisions = this.db.all(
      `SELECT d.json FROM journal j JOIN decisions d ON d.seq = j.seq
       WHERE j.incident_id = ? AND j.kind = 'decision' ORDER BY j.seq`,
      [incidentId],
    );
    return {
      incident,
      run: this.getRun(incident.run_id),
      samples: samples > 0 ? this.samples(incident.run_id, { limit: samples }) : [],
      decisions: decisions.map((r) => parse<Decision>(r.json)),
      chain: this.incidentChain(incidentId),
    };
  }

  eventsAfter(after: number, limit: number): TimelineEvent[] {
    return this.db.all(`${TIMELINE_SELECT} WHERE j.seq > ? ORDER BY j.seq LIMIT ?`, [after, Math.max(1, limit)]).map(toEvent);
  }

  eventsByRequest(requestId: string, limit = CHAIN_LIMIT): TimelineEvent[] {
    return this.db.all(`${TIMELINE_SELECT} WHERE j.request_id = ? ORDER BY j.seq LIMIT ?`, [requestId, limit]).map(toEvent);
  }

  latestSeq(): number {
    return this.lastSeq;
  }

  listSignatures(scope: string): Signature[] {
    return listSignatures(this.db, scope);
  }

  signaturesOfIncident(incidentId: string): Signature[] {
    return signaturesOfIncident(this.db, incidentId);
  }

  getWorkspace(id: string): Workspace | null {
    const json = this.db.value('SELECT json FROM workspaces WHERE id = ?', [id]);
    return json === undefined ? null : parse<Workspace>(json);
  }

  listWorkspaces(): Workspace[] {
    return this.db.all('SELECT json FROM workspaces ORDER BY id').map((r) => parse<Workspace>(r.json));
  }

  // ---------------------------------------------------------------- lifecycle

  health(): StoreHealth {
    const saved = this.opts.saver?.snapshot();
    return {
      path: this.path,
      readOnly: this.opts.readOnly,
      schemaVersion: this.opts.schemaVersion,
      writable: saved?.writable ?? !this.opts.readOnly,
      dirty: saved?.dirty ?? false,
      lastSaveAt: saved?.lastSaveAt ?? null,
      lastSaveMs: saved?.lastSaveMs ?? null,
      lastError: saved?.lastError ?? null,
      sizeBytes: saved?.sizeBytes ?? 0,
    };
  }

  stats(): StoreStats {
    const db = this.db;
    const count = (table: string) => Number(db.value(`SELECT count(*) FROM ${table}`));
    const tables = ['runs', 'samples', 'journal', 'decisions', 'incidents', 'lifecycle', 'audit', 'workspaces', 'idempotency'] as const;
    return {
      rows: Object.fromEntries(tables.map((t) => [t, count(t)])) as StoreStats['rows'],
      pageCount: Number(db.value('PRAGMA page_count')),
      pageSize: Number(db.value('PRAGMA page_size')),
    };
  }

  /**
   * Folds the samples of runs written since the last pass and, when due (or
   * forced), applies retention. Runs by itself on a timer while the store is
   * written; exposed for tests, benchmarks and shutdown.
   */
  maintain(forceRetention = false): RetentionReport | null {
    const db = this.writer;
    const { maxSamplesPerRun, maxAgeDays } = this.opts.retention;
    const now = this.opts.clock.now();
    const counts = this.rowCounts();
    let removed = 0;
    db.atomic(() => {
      for (const [runId, newest] of this.touchedRuns) {
        const progress = this.foldProgress.get(runId) ?? [];
        this.foldProgress.set(runId, progress);
        removed += compactRunSamples(db, runId, newest, progress) + capRunSamples(db, runId, maxSamplesPerRun);
        removed += db.run('DELETE FROM samples WHERE run_id = ? AND t < ?', [runId, now - maxAgeDays * 86_400_000]);
      }
    });
    this.touchedRuns.clear();
    counts.samples -= removed;
    let changed = removed > 0;
    let report: RetentionReport | null = null;
    if (forceRetention || now - this.lastRetentionAt >= RETAIN_EVERY_MS) {
      this.lastRetentionAt = now;
      report = applyRetention(db, this.opts.retention, now, counts);
      if (Object.values(report).some((n) => n > 0)) changed = true;
      if (this.foldProgress.size > RUN_MEMO_MAX) this.foldProgress.clear();
    }
    if (changed) this.opts.saver?.markDirty();
    return report;
  }

  flush(): Promise<void> {
    this.db.commit();
    return this.opts.saver?.flush() ?? Promise.resolve();
  }

  /** Saves what is pending, releases the lock and frees memory; rejects (after all that) if the last save failed. */
  async close(): Promise<void> {
    if (this.closed || this.closing) return;
    this.closing = true;
    if (this.maintenanceTimer) this.opts.clock.clearTimeout(this.maintenanceTimer);
    this.maintenanceTimer = null;
    let failure: unknown = null;
    try {
      if (!this.opts.readOnly) await this.flush();
    } catch (err) {
      failure = err;
    }
    this.closed = true;
    process.removeListener('exit', this.onProcessExit);
    this.opts.saver?.stop();
    this.opts.lock?.release();
    this.opts.db.close();
    if (failure) throw failure;
  }

  // ---------------------------------------------------------------- internals

  private changed(): void {
    this.opts.saver?.markDirty();
    if (this.maintenanceTimer) return;
    this.maintenanceTimer = this.opts.clock.setTimeout(() => {
      this.maintenanceTimer = null;
      if (this.closed) return;
      try {
        this.maintain();
      } catch (err) {
        this.opts.logger.error(`store maintenance failed: ${(err as Error).message}`);
      }
    }, COMPACT_EVERY_MS);
    this.maintenanceTimer.unref?.();
  }

  private noteEntry(note: JournalNote): Pick<JournalEntry, 'summary' | 'request_id'> {
    return { summary: note.summary, request_id: note.request_id ?? null };
  }

  /**
   * Writes a mutable record (run, incident) and, with a note, a journal row that
   * snapshots it — one transaction, so the timeline never shows a record the
   * table does not hold.
   */
  private upsertRecord(
    upsert: () => void,
    note: JournalNote | undefined,
    entry: Omit<JournalEntry, 'summary' | 'request_id' | 'snapshot'>,
  ): TimelineEvent | null {
    return this.writer.atomic(() => {
      upsert();
      const event = note ? this.journal({ ...entry, ...this.noteEntry(note), snapshot: true }) : null;
      this.changed();
      return event;
    });
  }

  private appendRecord(entry: JournalEntry, insertRecord: (seq: number) => void, table: 'decisions' | 'lifecycle' | 'audit'): TimelineEvent {
    const db = this.writer;
    const event = db.atomic(() => {
      const e = this.journal(entry);
      insertRecord(e.seq);
      return e;
    });
    this.rowCounts()[table]++;
    this.changed();
    return event;
  }

  private rowCounts(): RetentionState {
    this.retained ??= initialRetentionState(this.db);
    return this.retained;
  }

  /** Appends a journal row; run owner and workspace come from the run when the entry has none. */
  private journal(e: JournalEntry): TimelineEvent {
    const meta = this.metaOf(e.run_id);
    const workspaceId = e.workspace_id ?? meta.workspace_id;
    const summary = clip(redact(e.summary));
    const seq = Number(
      this.writer.value(INSERT_JOURNAL, [
        e.t, e.kind, e.ref_id, e.run_id, e.incident_id ?? null, workspaceId, e.request_id ?? null, meta.owner, summary,
        e.snapshot ? JSON.stringify(e.data) : null,
      ]),
    );
    this.lastSeq = Math.max(this.lastSeq, seq);
    return {
      seq,
      t: e.t,
      kind: e.kind,
      ref_id: e.ref_id,
      run_id: e.run_id,
      incident_id: e.incident_id ?? null,
      workspace_id: workspaceId,
      request_id: e.request_id ?? null,
      summary,
      data: e.data,
    };
  }

  private rememberRun(id: string, meta: RunMeta): void {
    if (this.runMeta.size >= RUN_MEMO_MAX) this.runMeta.clear();
    this.runMeta.set(id, meta);
  }

  private metaOf(runId: string | null): RunMeta {
    if (!runId) return { owner: null, workspace_id: null };
    const cached = this.runMeta.get(runId);
    if (cached) return cached;
    const row = this.db.get('SELECT owner, workspace_id FROM runs WHERE id = ?', [runId]);
    if (!row) return { owner: null, workspace_id: null };
    const meta = { owner: nullable(row.owner), workspace_id: nullable(row.workspace_id) };
    this.rememberRun(runId, meta);
    return meta;
  }

  /** Newest first by an immutable time column, ties broken by id; the cursor is the last row's (time, id). */
  private pageByTime<T>(table: 'runs' | 'incidents', column: 'started_at' | 'opened_at', where: Where, q: PageQuery): Page<T> {
    if (q.cursor) {
      const [at, id] = decodeCursor<[number, string]>(table, q.cursor, [0, '']);
      where.add(`(${column} < ? OR (${column} = ? AND id < ?))`, at, at, id);
    }
    return this.page(
      `SELECT ${column} AS at, id, json FROM ${table}${where} ORDER BY ${column} DESC, id DESC`,
      where.params,
      q.limit,
      (r) => parse<T>(r.json),
      (r) => encodeCursor(table, [Number(r.at), String(r.id)]),
    );
  }

  /** One page, newest first: fetches one row more than asked to know whether another page follows. */
  private page<T>(sql: string, params: (string | number)[], limit: number, item: (r: Row) => T, cursor: (r: Row) => string): Page<T> {
    const n = pageLimit(limit);
    const rows = this.db.all(`${sql} LIMIT ?`, [...params, n + 1]);
    const hasMore = rows.length > n;
    const kept = rows.slice(0, n);
    return { items: kept.map(item), next_cursor: hasMore ? cursor(kept[kept.length - 1]!) : null, has_more: hasMore };
  }
}
