// Stopping a process tree: a first signal to the group and to every tracked
// descendant outside it, a grace period, SIGKILL to whatever is left, and a
// confirmation that it is gone. Nothing here waits on the job's output pipes,
// so an escapee that still holds them cannot make a stop hang.
//
// Pids are reused: a fork-heavy runaway can wrap the pid space while we stop
// it. So a process is signalled only when it is provably ours — its identity
// (pid + start time) was seen in the tree before, it carries the job token, or
// its parent in the same snapshot is provably ours — and its start time is
// read again right before the signal. A group is signalled only while a live
// member we proved is in it (the kernel never reuses a group id that still has
// a member). Node has no pidfd, so a gap of microseconds between that check
// and kill(2) remains.
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, readSync } from 'node:fs';
import { sleep } from '../util/clock';
import { identityOf, parseProcStat, type ProcessSnapshot, type ProcessSource, type ProcInfo } from './processTable';
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

const statBuf = Buffer.alloc(1024);

/** True while `p.pid` still names the process we saw (same start time); other systems cannot tell, so true. */
export function stillSame(p: Pick<ProcInfo, 'pid' | 'startTime'>): boolean {
  if (process.platform !== 'linux') return true;
  let fd: number | undefined;
  try {
    fd = openSync(`/proc/${p.pid}/stat`, 'r');
    const now = parseProcStat(statBuf.toString('latin1', 0, readSync(fd, statBuf, 0, statBuf.length, 0)));
    return now !== null && now.startTime === p.startTime && now.state !== 'Z' && now.state !== 'X';
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * The members of a snapshot that are provably the job's: known identities,
 * token holders, and their descendants. `proven` grows as processes are
 * proved (so each environment is read at most once); `refused` remembers
 * identities that failed, for the same reason.
 */
function provenMembers(
  snap: ProcessSnapshot,
  members: ProcInfo[],
  source: ProcessSource,
  token: string | undefined,
  proven: Set<string>,
  refused: Set<string>,
): ProcInfo[] {
  const needle = token ? `FLOWFORGE_JOB_TOKEN=${token}` : null;
  const isProven = (p: ProcInfo, depth: number): boolean => {
    const id = identityOf(p);
    if (proven.has(id)) return true;
    if (refused.has(id) || depth > 64) return false;
    const parent = snap.procs.get(p.ppid);
    let ok = parent !== undefined && parent.pid > 1 && isProven(parent, depth + 1);
    if (!ok && needle) ok = source.environOf(p.pid)?.includes(needle) ?? false;
    (ok ? proven : refused).add(id);
    return ok;
  };
  return members.filter((p) => isProven(p, 0));
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
  // Without a token (a watched terminal command) there is nothing to prove a
  // stranger by: the tree is what it was before, minus reused pids of known members.
  const proven = new Set(tracker.tracked().map(identityOf));
  const refused = new Set<string>();
  const refresh = async (): Promise<ProcInfo[]> => {
    const snap = await source.snapshot();
    const members = tracker.members(snap);
    for (const p of tokenHolders(source, snap.procs.values(), opts.token)) members.push(p);
    const live = opts.token || proven.size > 0 ? provenMembers(snap, members, source, opts.token, proven, refused) : members;
    for (const p of live) known.set(identityOf(p), p);
    // Anything known earlier that is still alive (same pid and start time) stays on the list.
    return [...known.values()].filter((k) => {
      const now = snap.procs.get(k.pid);
      return now && now.startTime === k.startTime && now.state !== 'Z' && now.state !== 'X';
    });
  };

  const signalled = new Set<string>();
  const hit = (procs: ProcInfo[], sig: NodeJS.Signals, wholeGroup = true) => {
    // The job's group only while a member we proved is alive in it.
    const groupMember = procs.find((p) => p.pgid === tracker.pgid);
    if (wholeGroup && tracker.pgid !== null && tracker.pgid > 1 && groupMember && stillSame(groupMember)) signal(-tracker.pgid, sig);
    const groups = new Map<number, ProcInfo>();
    for (const p of procs) {
      if (!stillSame(p)) continue;
      // Groups led by one of our processes are ours too (an escapee's own group).
      if (p.pgid !== tracker.pgid && p.pgid === p.pid && p.pgid > 1) groups.set(p.pgid, p);
      signal(p.pid, sig);
      signalled.add(identityOf(p));
    }
    for (const [g, leader] of groups) if (stillSame(leader)) signal(-g, sig);
    // A stopped (Ctrl+Z) process cannot act on a signal until it is continued.
    if (sig !== 'SIGKILL') for (const p of procs) if (p.state === 'T' && stillSame(p)) signal(p.pid, 'SIGCONT');
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
