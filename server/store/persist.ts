// Getting the in-memory database onto disk. sql.js can only hand us the whole
// file, so saves are coalesced: one save after a quiet spell (debounce),
// never later than a bound after the first unsaved change, and written
// atomically (temp file, fsync, rename, fsync of the folder) so a crash at
// any moment leaves either the previous file or the new one, never a torn one.
import { closeSync, fsyncSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Clock, TimerHandle } from '../util/clock';
import type { Logger } from '../util/logger';

/** The temp file a save writes before renaming it over the store. Only the lock holder writes it. */
export const tempPathFor = (path: string) => `${path}.tmp`;

async function fsyncDir(dir: string): Promise<void> {
  try {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // Some platforms (Windows) cannot open or fsync a folder; the rename is still atomic there.
  }
}

export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = tempPathFor(path);
  try {
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await fsyncDir(dirname(path));
}

/**
 * The same steps, synchronously, for a process 'exit' handler (where nothing
 * async runs any more). Its own temp name keeps it clear of an async save
 * that the exit interrupted.
 */
export function writeFileAtomicSync(path: string, bytes: Uint8Array): void {
  const tmp = `${tempPathFor(path)}-exit`;
  try {
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, bytes);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

export class StoreWriteError extends Error {
  constructor(
    readonly path: string,
    cause: Error,
  ) {
    super(`could not save the store to ${path}: ${cause.message}; the changes are kept in memory and the save is retried`, {
      cause,
    });
    this.name = 'StoreWriteError';
  }
}

export interface SaverOptions {
  path: string;
  clock: Clock;
  logger: Logger;
  debounceMs: number;
  maxDelayMs: number;
  /** The database bytes to write (synchronous: sql.js exports on the calling thread). */
  exportBytes: () => Uint8Array;
  /** Size of the file as loaded, reported until the first save. */
  initialSizeBytes?: number;
  /** Runs before every write and throws when this process may no longer write the file (its lock was lost). */
  beforeWrite?: () => void;
}

/** What tells one version of a file from another: a save renames a new inode into place. */
export function fileIdentity(path: string): string | null {
  try {
    const st = statSync(path);
    return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch {
    return null;
  }
}

export interface SaverState {
  dirty: boolean;
  writable: boolean;
  lastSaveAt: number | null;
  lastSaveMs: number | null;
  lastError: string | null;
  sizeBytes: number;
  saves: number;
  failures: number;
}

const RETRY_BASE_MS = 1000;
const RETRY_MAX_MS = 60_000;

/** Coalesces changes into debounced, bounded, atomic saves; failed saves keep the data and retry with backoff. */
export class Saver {
  /** The identity of the file as this saver last left it. */
  private written: string | null;
  private changeGen = 0;
  private savedGen = 0;
  /** When the oldest change not yet on disk happened. */
  private unsavedSince: number | null = null;
  private lastChangeAt = 0;
  private retryAt = 0;
  private consecutiveFailures = 0;
  private timer: TimerHandle | null = null;
  private timerAt = 0;
  private saving: Promise<void> | null = null;
  private readonly state: SaverState = {
    dirty: false,
    writable: true,
    lastSaveAt: null,
    lastSaveMs: null,
    lastError: null,
    sizeBytes: 0,
    saves: 0,
    failures: 0,
  };

  constructor(private readonly opts: SaverOptions) {
    this.written = fileIdentity(opts.path);
    this.state.sizeBytes = opts.initialSizeBytes ?? 0;
  }

  snapshot(): SaverState {
    return { ...this.state, dirty: this.changeGen !== this.savedGen };
  }

  /** Records that the database changed; cheap enough to call on every write. */
  markDirty(): void {
    const now = this.opts.clock.now();
    this.changeGen++;
    this.lastChangeAt = now;
    this.unsavedSince ??= now;
    if (!this.saving) this.arm(this.dueAt());
  }

  /** Saves now if anything is unsaved (waiting for a save in progress first); rejects if the write fails. */
  async flush(): Promise<void> {
    while (this.saving) await this.saving.catch(() => undefined);
    if (this.changeGen === this.savedGen) return;
    await this.save();
  }

  /** Last-chance save when the process exits without close(): synchronous, still atomic. */
  flushSync(): void {
    if (this.changeGen === this.savedGen) return;
    const gen = this.changeGen;
    this.opts.beforeWrite?.();
    writeFileAtomicSync(this.opts.path, this.opts.exportBytes());
    this.savedGen = gen;
    this.written = fileIdentity(this.opts.path);
  }

  /** True while the file on disk is the one this saver last wrote (or loaded): nobody else saved over it. */
  fileUnchanged(): boolean {
    return fileIdentity(this.opts.path) === this.written;
  }

  /** Stops the timers; pending changes stay pending. */
  stop(): void {
    this.disarm();
  }

  private dueAt(): number {
    const since = this.unsavedSince ?? this.lastChangeAt;
    const due = Math.min(this.lastChangeAt + this.opts.debounceMs, since + this.opts.maxDelayMs);
    return Math.max(due, this.retryAt);
  }

  /** One timer at a time; it only ever needs to move later, so a later due time re-arms when it fires. */
  private arm(at: number): void {
    if (this.timer && this.timerAt <= at) return;
    this.disarm();
    const { clock } = this.opts;
    this.timerAt = at;
    this.timer = clock.setTimeout(() => this.onTimer(), Math.max(0, at - clock.now()));
    this.timer.unref?.();
  }

  private disarm(): void {
    if (this.timer) this.opts.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private onTimer(): void {
    this.timer = null;
    if (this.changeGen === this.savedGen || this.saving) return;
    const due = this.dueAt();
    if (this.opts.clock.now() < due) return this.arm(due);
    this.save().catch(() => undefined);
  }

  private save(): Promise<void> {
    this.disarm();
    const run = this.writeOnce().finally(() => {
      this.saving = null;
      if (this.changeGen !== this.savedGen) this.arm(this.dueAt());
    });
    this.saving = run;
    return run;
  }

  private async writeOnce(): Promise<void> {
    const { clock, logger, path } = this.opts;
    const gen = this.changeGen;
    const since = this.unsavedSince;
    this.unsavedSince = null;
    const started = performance.now();
    try {
      this.opts.beforeWrite?.();
      const bytes = this.opts.exportBytes();
      await writeFileAtomic(path, bytes);
      this.written = fileIdentity(path);
      this.savedGen = Math.max(this.savedGen, gen);
      this.consecutiveFailures = 0;
      this.retryAt = 0;
      Object.assign(this.state, {
        writable: true,
        lastError: null,
        lastSaveAt: clock.now(),
        lastSaveMs: performance.now() - started,
        sizeBytes: bytes.length,
        saves: this.state.saves + 1,
      });
    } catch (err) {
      const error = new StoreWriteError(path, err as Error);
      this.unsavedSince = Math.min(since ?? clock.now(), this.unsavedSince ?? clock.now());
      this.consecutiveFailures++;
      this.retryAt = clock.now() + Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (this.consecutiveFailures - 1));
      Object.assign(this.state, { writable: false, lastError: error.message, failures: this.state.failures + 1 });
      logger.error(error.message, { attempt: this.consecutiveFailures, retryInMs: this.retryAt - clock.now() });
      throw error;
    }
  }
}
