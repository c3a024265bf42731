// A thin layer over one sql.js Database: cached prepared statements, typed row
// helpers and write batching. sql.js pays for a transaction on every
// autocommitted statement (about 40 µs against 3 µs inside one), so writes
// join a batch transaction that commits at the end of the current tick, or
// sooner when someone needs a consistent file (export) or runs maintenance.
import type { BindParams, Database, SqlValue, Statement } from 'sql.js';

export type Row = Record<string, SqlValue>;

export class SqlDb {
  private statements = new Map<string, Statement>();
  private inBatch = false;
  private commitQueued = false;
  private closed = false;

  constructor(readonly raw: Database) {}

  private prepare(sql: string): Statement {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.raw.prepare(sql);
      this.statements.set(sql, stmt);
    }
    return stmt;
  }

  run(sql: string, params: BindParams = null): number {
    this.prepare(sql).run(params);
    return this.raw.getRowsModified();
  }

  all<T extends Row = Row>(sql: string, params: BindParams = null): T[] {
    const stmt = this.prepare(sql);
    try {
      stmt.bind(params);
      const rows: T[] = [];
      // getAsObject() decodes the column names again for every row; do it once.
      let names: string[] | null = null;
      while (stmt.step()) {
        names ??= stmt.getColumnNames();
        const values = stmt.get();
        const row: Row = {};
        for (let i = 0; i < names.length; i++) row[names[i]!] = values[i]!;
        rows.push(row as T);
      }
      return rows;
    } finally {
      stmt.reset();
    }
  }

  /** The first row, if any (the query must not carry its own LIMIT). */
  get<T extends Row = Row>(sql: string, params: BindParams = null): T | undefined {
    return this.all<T>(`${sql} LIMIT 1`, params)[0];
  }

  /** The first column of the first row, or undefined. */
  value(sql: string, params: BindParams = null): SqlValue | undefined {
    const stmt = this.prepare(sql);
    try {
      stmt.bind(params);
      return stmt.step() ? stmt.get()[0] : undefined;
    } finally {
      stmt.reset();
    }
  }

  /** Runs one write inside the current batch (a single statement is atomic by itself). */
  batch<T>(fn: () => T): T {
    this.openBatch();
    return fn();
  }

  /** Runs several writes that must land together or not at all. */
  atomic<T>(fn: () => T): T {
    this.openBatch();
    this.run('SAVEPOINT atomic_write');
    try {
      const result = fn();
      this.run('RELEASE atomic_write');
      return result;
    } catch (err) {
      this.run('ROLLBACK TO atomic_write');
      this.run('RELEASE atomic_write');
      throw err;
    }
  }

  /** Ends the open batch; sql.js cannot export while a transaction is open. */
  commit(): void {
    if (!this.inBatch) return;
    this.inBatch = false;
    this.run('COMMIT');
  }

  export(): Uint8Array {
    this.commit();
    return this.raw.export();
  }

  close(): void {
    this.commit();
    this.closed = true;
    for (const stmt of this.statements.values()) stmt.free();
    this.statements.clear();
    this.raw.close();
  }

  private openBatch(): void {
    if (this.inBatch) return;
    this.run('BEGIN');
    this.inBatch = true;
    if (this.commitQueued) return;
    this.commitQueued = true;
    queueMicrotask(() => {
      this.commitQueued = false;
      if (!this.closed) this.commit();
    });
  }
}
