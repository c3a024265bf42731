// The store's schema and its forward migrations. `PRAGMA user_version` holds
// the schema version and `PRAGMA application_id` marks the file as FlowForge's,
// so a database that belongs to something else is never mistaken for ours.
//
// Layout: every record keeps its full JSON in `json` next to the columns the
// queries filter or sort on. The journal is the unified timeline; decisions,
// lifecycle and audit rows share their journal row's `seq` as primary key, so
// the timeline joins them by rowid and retention trims both by one seq range.
// Runs and incidents are mutable, so their journal rows keep a snapshot in
// `journal.data` instead.
import type { Database } from 'sql.js';

/** 'FFlw' */
export const APPLICATION_ID = 0x46466c77;

interface Migration {
  version: number;
  description: string;
  sql: string;
}

const MIGRATIONS: Migration[] = [
  {
    version: 1,
    description: 'initial schema',
    sql: `
      CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        job_id TEXT NOT NULL,
        workspace_id TEXT,
        owner TEXT,
        started_at INTEGER NOT NULL,
        ended_at INTEGER,
        json TEXT NOT NULL
      );
      CREATE INDEX runs_started ON runs (started_at, id);
      CREATE INDEX runs_job ON runs (job_id);

      CREATE TABLE samples (
        run_id TEXT NOT NULL,
        t INTEGER NOT NULL,
        tier INTEGER NOT NULL,
        cpu REAL,
        rss REAL NOT NULL,
        procs INTEGER NOT NULL,
        lines INTEGER NOT NULL,
        bytes INTEGER NOT NULL,
        repetition REAL NOT NULL,
        novelty REAL NOT NULL,
        rate REAL NOT NULL,
        silence REAL NOT NULL,
        PRIMARY KEY (run_id, t)
      ) WITHOUT ROWID;

      CREATE TABLE journal (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        t INTEGER NOT NULL,
        kind TEXT NOT NULL,
        ref_id TEXT NOT NULL,
        run_id TEXT,
        incident_id TEXT,
        workspace_id TEXT,
        request_id TEXT,
        summary TEXT NOT NULL,
        data TEXT
      );
      CREATE INDEX journal_run ON journal (run_id, seq) WHERE run_id IS NOT NULL;
      CREATE INDEX journal_incident ON journal (incident_id) WHERE incident_id IS NOT NULL;
      CREATE INDEX journal_request ON journal (request_id) WHERE request_id IS NOT NULL;

      CREATE TABLE decisions (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        run_id TEXT NOT NULL,
        t INTEGER NOT NULL,
        action TEXT NOT NULL,
        json TEXT NOT NULL
      );

      CREATE TABLE incidents (
        id TEXT PRIMARY KEY,
        run_id TEXT NOT NULL,
        job_id TEXT NOT NULL,
        workspace_id TEXT,
        status TEXT NOT NULL,
        kind TEXT NOT NULL,
        opened_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        json TEXT NOT NULL
      );
      CREATE INDEX incidents_opened ON incidents (opened_at, id);

      CREATE TABLE lifecycle (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL,
        phase TEXT NOT NULL,
        json TEXT NOT NULL
      );

      CREATE TABLE audit (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL,
        t INTEGER NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        request_id TEXT,
        json TEXT NOT NULL
      );

      CREATE TABLE workspaces (
        id TEXT PRIMARY KEY,
        path TEXT NOT NULL,
        json TEXT NOT NULL
      );

      CREATE TABLE idempotency (
        key_hash TEXT NOT NULL,
        endpoint TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        json TEXT NOT NULL,
        PRIMARY KEY (key_hash, endpoint)
      ) WITHOUT ROWID;
      CREATE INDEX idempotency_created ON idempotency (created_at);
    `,
  },
  {
    version: 2,
    description: 'owner on incidents and journal rows, for submit-scoped API clients',
    sql: `
      ALTER TABLE incidents ADD COLUMN owner TEXT;
      ALTER TABLE journal ADD COLUMN owner TEXT;
      UPDATE incidents SET owner = (SELECT r.owner FROM runs r WHERE r.id = incidents.run_id);
      UPDATE journal SET owner = (SELECT r.owner FROM runs r WHERE r.id = journal.run_id) WHERE run_id IS NOT NULL;
      CREATE INDEX incidents_owner ON incidents (owner, opened_at) WHERE owner IS NOT NULL;
      CREATE INDEX journal_owner ON journal (owner, seq) WHERE owner IS NOT NULL;
    `,
  },
  {
    version: 3,
    description: 'Idempotency-Key replays and conflicts counted per UTC day',
    // One row per day, not per replay: the history route needs only counts,
    // and the answers themselves expire after 24 h.
    sql: `
      CREATE TABLE idempotency_days (
        day INTEGER PRIMARY KEY,
        replays INTEGER NOT NULL DEFAULT 0,
        conflicts INTEGER NOT NULL DEFAULT 0
      );
    `,
  },
  {
    version: 4,
    description: 'learned signatures of confirmed runaways, per scope, and the incidents that taught or allowed them',
    sql: `
      CREATE TABLE signatures (
        scope TEXT NOT NULL,
        signature TEXT NOT NULL,
        status TEXT NOT NULL,
        updated_at INTEGER NOT NULL,
        json TEXT NOT NULL,
        PRIMARY KEY (scope, signature)
      ) WITHOUT ROWID;

      CREATE TABLE signature_incidents (
        incident_id TEXT NOT NULL,
        scope TEXT NOT NULL,
        signature TEXT NOT NULL,
        PRIMARY KEY (incident_id, scope, signature)
      ) WITHOUT ROWID;
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

export type SchemaState =
  | { kind: 'empty' }
  | { kind: 'flowforge'; version: number }
  | { kind: 'newer'; version: number }
  | { kind: 'foreign'; detail: string };

function pragmaNumber(db: Database, name: string): number {
  return Number(db.exec(`PRAGMA ${name}`)[0]?.values[0]?.[0] ?? 0);
}

/** What a freshly opened database holds. Throws when the bytes are not a readable SQLite database. */
export function inspectSchema(db: Database): SchemaState {
  const check = String(db.exec('PRAGMA quick_check')[0]?.values[0]?.[0] ?? '');
  if (check !== 'ok') throw new Error(`integrity check failed: ${check.slice(0, 200)}`);
  const tables = db.exec("SELECT count(*) FROM sqlite_schema WHERE type = 'table'")[0]?.values[0]?.[0];
  const appId = pragmaNumber(db, 'application_id');
  const version = pragmaNumber(db, 'user_version');
  if (appId === 0 && version === 0 && Number(tables) === 0) return { kind: 'empty' };
  if (appId !== APPLICATION_ID) {
    return { kind: 'foreign', detail: `a SQLite database of another application (application_id ${appId})` };
  }
  return version > SCHEMA_VERSION ? { kind: 'newer', version } : { kind: 'flowforge', version };
}

/** Brings an empty or older FlowForge database to SCHEMA_VERSION, one transaction per step. */
export function migrate(db: Database, from: number): { from: number; to: number } {
  if (from === 0) {
    // Must precede the first table; lets retention hand freed pages back so exports stay small.
    db.exec(`PRAGMA auto_vacuum = INCREMENTAL; PRAGMA application_id = ${APPLICATION_ID};`);
  }
  for (const m of MIGRATIONS) {
    if (m.version <= from) continue;
    db.exec('BEGIN');
    try {
      db.exec(m.sql);
      db.exec(`PRAGMA user_version = ${m.version}`);
      db.exec('COMMIT');
    } catch (err) {
      db.exec('ROLLBACK');
      throw new Error(`migrating the store to schema version ${m.version} (${m.description}) failed: ${(err as Error).message}`);
    }
  }
  return { from, to: SCHEMA_VERSION };
}
