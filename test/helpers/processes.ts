// Test helpers for real processes: find them by command line, wait for conditions.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const FIXTURES = join(__dirname, '..', 'fixtures');
export const REPO = join(__dirname, '..', '..');
/** The shared reference corpus beside the repo; FLOWFORGE_SHARED_CORPUS points elsewhere (a git worktree is not beside it). */
export const SHARED_CORPUS = process.env.FLOWFORGE_SHARED_CORPUS ?? join(REPO, '..', 'shared', 'corpus');

/**
 * Pids of live (non-zombie) processes whose command line contains `needle`.
 * The flowforge CLI itself is left out: its own command line names the job.
 */
export function pidsMatching(needle: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'latin1').replace(/\0/g, ' ');
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (state !== 'Z' && cmd.includes(needle) && !cmd.includes('/dist/cli.js')) out.push(Number(name));
    } catch {
      /* gone */
    }
  }
  return out;
}

export function killMatching(needle: string): void {
  for (const pid of pidsMatching(needle)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

export async function waitFor<T>(probe: () => T | Promise<T>, timeoutMs: number, intervalMs = 50): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Skips (or, in CI, fails) a suite that needs the reference corpus beside the repo. */
export function requireSharedCorpus(ctx: Mocha.Context): void {
  try {
    readdirSync(SHARED_CORPUS);
  } catch {
    if (process.env.CI) throw new Error(`reference corpus missing at ${SHARED_CORPUS}`);
    ctx.skip();
  }
}
