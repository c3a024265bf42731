// One writer per store file. The writer holds `<db>.lock`, created with O_EXCL
// and holding who it is (pid, process start, command, host). A lock whose
// process is gone, or whose pid now belongs to a younger process (pid reuse,
// detected on Linux from /proc/<pid>/stat), is stale and taken over.
//
// Node has no flock/fcntl, and a lock file alone is advisory: anyone can delete
// it and a second writer then gets in. So the holder re-checks its lock (same
// inode, same content) before every save; a lock that was replaced means the
// store now belongs to someone else and this process stops writing it. A lock
// that was merely removed is re-created only when the store file is still the
// one this process last wrote (nobody else saved in between).
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { formatClockTime } from './timeFormat';

export interface LockHolder {
  pid: number;
  /** When the holder process started (epoch ms). */
  startedAt: number;
  /** Linux: the process start time in clock ticks since boot, to tell a reused pid from the holder. */
  procStart: string | null;
  /** What holds it, e.g. `flowforge run`. */
  command: string;
  hostname: string;
  acquiredAt: number;
}

export class StoreLockedError extends Error {
  readonly holderPid: number;
  readonly holderStartedAt: number;
  readonly holderCommand: string;
  readonly lockPath: string;

  constructor(dbPath: string, lockPath: string, holder: LockHolder) {
    const host = holder.hostname === hostname() ? '' : ` on host ${holder.hostname}`;
    super(
      `store ${dbPath} is in use by pid ${holder.pid}${host} (${holder.command}, started ${formatClockTime(holder.startedAt)}); ` +
        'wait for it to finish or use --db to pick another file',
    );
    this.name = 'StoreLockedError';
    this.holderPid = holder.pid;
    this.holderStartedAt = holder.startedAt;
    this.holderCommand = holder.command;
    this.lockPath = lockPath;
  }
}

/** Linux: field 22 of /proc/<pid>/stat (start time in ticks since boot); null elsewhere or when gone. */
export function processStartTicks(pid: number): string | null {
  if (process.platform !== 'linux') return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A lock file that cannot be parsed is being written right now, unless it is older than this. */
const UNREADABLE_GRACE_MS = 5000;
const MAX_ATTEMPTS = 5;

function parseHolder(text: string): LockHolder | null {
  try {
    const v = JSON.parse(text) as Partial<LockHolder>;
    return typeof v.pid === 'number' && Number.isInteger(v.pid) && v.pid > 0 ? (v as LockHolder) : null;
  } catch {
    return null;
  }
}

function isStale(holder: LockHolder | null, lockPath: string): boolean {
  if (!holder) {
    try {
      return Date.now() - statSync(lockPath).mtimeMs > UNREADABLE_GRACE_MS;
    } catch {
      return true;
    }
  }
  // Another machine's pid means nothing here (shared folder): respect its lock.
  if (holder.hostname !== hostname()) return false;
  if (!isProcessAlive(holder.pid)) return true;
  const now = processStartTicks(holder.pid);
  return holder.procStart !== null && now !== null && now !== holder.procStart;
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

function tryCreate(lockPath: string, holder: LockHolder): boolean {
  let fd: number;
  try {
    fd = openSync(lockPath, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    writeSync(fd, JSON.stringify(holder));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return true;
}

/**
 * Takes a stale lock out of the way without ever removing a live one: move it
 * to a private name, and put it back if it turns out someone replaced the
 * stale lock with a live one in the meantime.
 */
function removeStale(lockPath: string, staleText: string): void {
  const aside = `${lockPath}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    renameSync(lockPath, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (readText(aside) !== staleText) {
    try {
      linkSync(aside, lockPath);
    } catch {
      // A third writer got in first; its lock stands and the loop will see it.
    }
  }
  unlinkSync(aside);
}

export interface HeldLock {
  readonly path: string;
  readonly holder: LockHolder;
  /** Recovered from a dead holder, if it was. */
  readonly recoveredFrom: LockHolder | null;
  /** Removes the lock file if it is still ours (synchronous, so it also works in an 'exit' handler). */
  release(): void;
  /**
   * Throws StoreLockLostError unless the lock file is still ours. A removed lock
   * is re-created when `storeUnchanged()` says nobody else wrote the store meanwhile.
   */
  verify(storeUnchanged: () => boolean): void;
}

export class StoreLockLostError extends Error {
  constructor(lockPath: string, why: string) {
    super(`lost the store lock ${lockPath}: ${why}; this process stops saving so it cannot overwrite another writer's data (its records stay in memory until it exits)`);
    this.name = 'StoreLockLostError';
  }
}

export function acquireLock(dbPath: string, command: string): HeldLock {
  const lockPath = `${dbPath}.lock`;
  const holder: LockHolder = {
    pid: process.pid,
    startedAt: Math.round(Date.now() - process.uptime() * 1000),
    procStart: processStartTicks(process.pid),
    command,
    hostname: hostname(),
    acquiredAt: Date.now(),
  };
  let recoveredFrom: LockHolder | null = null;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (tryCreate(lockPath, holder)) return heldLock(lockPath, holder, recoveredFrom);
    const text = readText(lockPath);
    if (text === null) continue;
    const current = parseHolder(text);
    if (!isStale(current, lockPath)) {
      if (current) throw new StoreLockedError(dbPath, lockPath, current);
      throw new Error(`store ${dbPath} is being opened by another process right now (lock ${lockPath}); try again`);
    }
    recoveredFrom = current;
    removeStale(lockPath, text);
  }
  throw new Error(`could not take the lock ${lockPath} after ${MAX_ATTEMPTS} attempts; another process keeps replacing it`);
}

function inodeOf(path: string): number | null {
  try {
    return statSync(path).ino;
  } catch {
    return null;
  }
}

function heldLock(lockPath: string, holder: LockHolder, recoveredFrom: LockHolder | null): HeldLock {
  const mine = JSON.stringify(holder);
  let ino = inodeOf(lockPath);
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    try {
      if (readText(lockPath) === mine && inodeOf(lockPath) === ino) unlinkSync(lockPath);
    } catch {
      // Best effort: a lock we cannot remove is recovered as stale by the next writer.
    }
  };
  const verify = (storeUnchanged: () => boolean) => {
    if (!held) throw new StoreLockLostError(lockPath, 'it was released');
    const text = readText(lockPath);
    if (text === null) {
      if (!storeUnchanged()) throw new StoreLockLostError(lockPath, 'the lock file was removed and the store was written by someone else meanwhile');
      if (!tryCreate(lockPath, holder)) throw new StoreLockLostError(lockPath, 'the lock file was removed and another process took it');
      ino = inodeOf(lockPath);
      return;
    }
    if (text !== mine || inodeOf(lockPath) !== ino) {
      const other = parseHolder(text);
      throw new StoreLockLostError(lockPath, other ? `pid ${other.pid} (${other.command}) holds it now` : 'another process replaced it');
    }
  };
  return { path: lockPath, holder, recoveredFrom, release, verify };
}
