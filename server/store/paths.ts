// Where stores live. Kept apart from open.ts so that a caller that only needs
// the path (the CLI before its job starts) does not load SQLite's wasm glue.
import { mkdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';

/** The first 16 bytes of every SQLite file: how a store file is told from something else. */
export const SQLITE_HEADER = 'SQLite format 3\0';

/** Where `flowforge run` keeps its store unless told otherwise (`--db`). */
export function defaultStorePath(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = homedir(),
): string {
  if (platform === 'win32') return join(env.LOCALAPPDATA || join(home, 'AppData', 'Local'), 'flowforge', 'flowforge.db');
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'flowforge', 'flowforge.db');
  const state = env.XDG_STATE_HOME && isAbsolute(env.XDG_STATE_HOME) ? env.XDG_STATE_HOME : join(home, '.local', 'state');
  return join(state, 'flowforge', 'flowforge.db');
}

/** The store cannot be written where it was asked to live (read-only folder, /proc, no permission). */
export class StoreUnwritableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreUnwritableError';
  }
}

export const errCode = (err: unknown) => (err as NodeJS.ErrnoException).code ?? (err as Error).message;

/**
 * Creates the store's folder and any missing parents (mode 0700: evidence may
 * hold secrets), one level at a time. Not mkdirSync's recursive mode: under
 * /proc mkdir answers ENOENT for a parent that exists, and Node's recursion
 * then retries for ever at 100% CPU.
 */
export function ensureStoreFolder(path: string): void {
  const missing: string[] = [];
  for (let dir = dirname(path); ; ) {
    let isDir: boolean | null = null;
    try {
      isDir = statSync(dir).isDirectory();
    } catch (err) {
      if (errCode(err) !== 'ENOENT') throw new StoreUnwritableError(`cannot create the folder for store ${path}: ${dir} gives ${errCode(err)}`);
    }
    if (isDir === false) throw new StoreUnwritableError(`cannot create the folder for store ${path}: ${dir} is not a folder`);
    if (isDir) break;
    missing.push(dir);
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  for (const dir of missing.reverse()) {
    try {
      mkdirSync(dir, { mode: 0o700 });
    } catch (err) {
      if (errCode(err) !== 'EEXIST') throw new StoreUnwritableError(`cannot create the folder for store ${path}: mkdir ${dir} gives ${errCode(err)}`);
    }
  }
}
