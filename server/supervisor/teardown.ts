// Stopping a process tree: a first signal to the group and to every tracked
// descendant outside it, a grace period, SIGKILL to whatever is left, and a
// confirmation that it is gone. Nothing here waits on the job's output pipes,
// so an escapee that still holds them cannot make a stop hang.
import { execFileSync } from 'node:child_process';
import { sleep } from '../util/clock';
import { identityOf, type ProcessSource, type ProcInfo } from './processTable';
import type { TreeTracker } from './treeTracker';

export interface StopOptions {
  graceMs: number;
  /** The first signal; SIGTERM unless the stop comes from a Ctrl+C (SIGINT). */
  firstSignal?: NodeJS.Signals;
  /** Job token in the children's environment: finds escapees nobody saw being born. */
  token?: string;
  pollMs?: number;
}

export interface StopResult {
  /** True when no process of the tree was left at the end. */
  confirmed: boolean;
  /** True when SIGKILL had to be used. */
  escalated: boolean;
  survivors: number[];
  durationMs: number;
}

function signal(target: number, sig: NodeJS.Signals): void {
  try {
    process.kill(target, sig);
  } catch {
    // ESRCH: already gone. EPERM: not ours to signal; nothing more to do.
  }
}

/** Processes that carry the job token but were not seen in the tree (born and orphaned between ticks). */
function tokenHolders(source: ProcessSource, procs: Iterable<ProcInfo>, token: string | undefined): ProcInfo[] {
  if (!token) return [];
  const needle = `FLOWFORGE_JOB_TOKEN=${token}`;
  const out: ProcInfo[] = [];
  for (const p of procs) {
    if (p.pid === process.pid || p.state === 'Z') continue;
    if (source.environOf(p.pid)?.includes(needle)) out.push(p);
  }
  return out;
}

export async function stopTree(
  source: ProcessSource,
  tracker: TreeTracker,
  opts: StopOptions,
): Promise<StopResult> {
  const started = Date.now();
  const pollMs = opts.pollMs ?? 50;
  const first = opts.firstSignal ?? 'SIGTERM';

  if (process.platform === 'win32') {
    try {
      execFileSync('taskkill', ['/T', '/F', '/PID', String(tracker.rootPid)], { stdio: 'ignore' });
    } catch {
      /* already gone */
    }
    return { confirmed: true, escalated: true, survivors: [], durationMs: Date.now() - started };
  }

  const known = new Map<string, ProcInfo>();
  const refresh = async (): Promise<ProcInfo[]> => {
    const snap = await source.snapshot();
    const live = tracker.members(snap);
    for (const p of tokenHolders(source, snap.procs.values(), opts.token)) live.push(p);
    for (const p of live) known.set(identityOf(p), p);
    // Anything known earlier that is still alive (same pid and start time) stays on the list.
    return [...known.values()].filter((k) => {
      const now = snap.procs.get(k.pid);
      return now && now.startTime === k.startTime && now.state !== 'Z' && now.state !== 'X';
    });
  };

  const signalled = new Set<string>();
  const hit = (procs: ProcInfo[], sig: NodeJS.Signals, wholeGroup = true) => {
    if (wholeGroup && tracker.pgid !== null && tracker.pgid > 1) signal(-tracker.pgid, sig);
    const groups = new Set<number>();
    for (const p of procs) {
      // Groups led by one of our processes are ours too (an escapee's own group).
      if (p.pgid !== tracker.pgid && p.pgid === p.pid && p.pgid > 1) groups.add(p.pgid);
      signal(p.pid, sig);
      signalled.add(identityOf(p));
    }
    for (const g of groups) signal(-g, sig);
    // A stopped (Ctrl+Z) process cannot act on a signal until it is continued.
    if (sig !== 'SIGKILL') for (const p of procs) if (p.state === 'T') signal(p.pid, 'SIGCONT');
  };

  let live = await refresh();
  hit(live, first);
  const termAt = first === 'SIGTERM' ? Infinity : started + opts.graceMs / 2;
  const deadline = started + opts.graceMs;
  let current = first;
  while (live.length > 0 && Date.now() < deadline) {
    await sleep(pollMs);
    live = await refresh();
    if (current !== 'SIGTERM' && Date.now() >= termAt) {
      current = 'SIGTERM';
      hit(live, current);
    } else {
      // Children born during the grace period get the same signal, once.
      const fresh = live.filter((p) => !signalled.has(identityOf(p)));
      if (fresh.length) hit(fresh, current, false);
    }
  }

  let escalated = false;
  const confirmBy = Date.now() + 2000;
  while (live.length > 0 && Date.now() < confirmBy) {
    escalated = true;
    hit(live, 'SIGKILL');
    await sleep(pollMs);
    live = await refresh();
  }
  return {
    confirmed: live.length === 0,
    escalated,
    survivors: live.map((p) => p.pid),
    durationMs: Date.now() - started,
  };
}
