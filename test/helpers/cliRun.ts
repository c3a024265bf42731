// The built `flowforge` CLI run as a user runs it, for int suites: the build
// once, a scratch folder per test, and no supervisor left behind by a test
// that failed half way.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStoreReadOnly } from '../../server/store/open';
import type { EvidenceStore } from '../../server/store/types';
import { REPO } from './processes';

export const CLI = join(REPO, 'dist', 'cli.js');

export interface CliRun {
  code: number | null;
  output: string;
  exitedAt: number;
}

export interface CliBox {
  dir: string;
  /** Runs the CLI to its end (stdout and stderr together). */
  run(args: string[], env?: NodeJS.ProcessEnv): Promise<CliRun>;
}

export function useBuiltCli(prefix: string): CliBox {
  const running = new Set<ChildProcess>();
  const box: CliBox = {
    dir: '',
    run: (args, env = process.env) => {
      const child = spawn(process.execPath, [CLI, ...args], { cwd: box.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
      running.add(child);
      let output = '';
      child.stdout!.on('data', (d) => (output += String(d)));
      child.stderr!.on('data', (d) => (output += String(d)));
      return new Promise((resolve) =>
        child.on('exit', (code) => {
          running.delete(child);
          resolve({ code, output, exitedAt: Date.now() });
        }),
      );
    },
  };
  before(() => {
    if (spawnSync(process.execPath, ['scripts/build.mjs', '--quiet'], { cwd: REPO, stdio: 'inherit' }).status !== 0) throw new Error('build failed');
  });
  beforeEach(() => (box.dir = mkdtempSync(join(tmpdir(), prefix))));
  afterEach(async () => {
    for (const child of running) child.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, running.size ? 500 : 0));
    rmSync(box.dir, { recursive: true, force: true });
  });
  return box;
}

/** Reads a store file the CLI left, and closes it again. */
export async function withStore<T>(db: string, read: (store: EvidenceStore) => T): Promise<T> {
  const { store } = await openStoreReadOnly(db);
  try {
    return read(store);
  } finally {
    await store.close();
  }
}
