// Process-table helpers for teardown assertions ("nothing survives stop()", "closing
// the window leaves no job behind"). Linux only: reads /proc directly so a check costs
// a few milliseconds and needs no `ps` parsing.
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcessInfo {
  pid: number;
  ppid: number;
  pgid: number;
  /** Full command line, arguments joined by spaces ('' for zombies and kernel threads). */
  cmdline: string;
}

function readProcess(pid: number): ProcessInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may itself contain spaces or ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z') return undefined; // a zombie is already dead, just not reaped
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    return { pid, ppid: Number(fields[1]), pgid: Number(fields[2]), cmdline };
  } catch {
    return undefined; // exited while we were reading
  }
}

export function listProcesses(): ProcessInfo[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map((name) => readProcess(Number(name)))
    .filter((p): p is ProcessInfo => p !== undefined);
}

export function isAlive(pid: number): boolean {
  return readProcess(pid) !== undefined;
}

/** Every live descendant of `pid` (children, grandchildren, ...), not `pid` itself. */
export function descendantsOf(pid: number, table: ProcessInfo[] = listProcesses()): ProcessInfo[] {
  const children = new Map<number, ProcessInfo[]>();
  for (const p of table) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const found: ProcessInfo[] = [];
  const queue = [pid];
  while (queue.length) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child.pid);
    }
  }
  return found;
}

export function processGroupMembers(pgid: number): ProcessInfo[] {
  return listProcesses().filter((p) => p.pgid === pgid);
}

/**
 * Polls until none of `pids` is alive. Resolves with the survivors (empty on success)
 * instead of throwing, so a test can print exactly what was left behind.
 */
export async function waitForExit(pids: number[], timeoutMs = 10_000): Promise<ProcessInfo[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const alive = pids.map(readProcess).filter((p): p is ProcessInfo => p !== undefined);
    if (alive.length === 0 || Date.now() > deadline) return alive;
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function describeProcesses(list: ProcessInfo[]): string {
  return list.map((p) => `  pid ${p.pid} (ppid ${p.ppid}, pgid ${p.pgid}): ${p.cmdline.slice(0, 160)}`).join('\n');
}

/** Extension host processes of a code-server: one per connected window. */
export function extensionHostPids(server: { pid: number }): number[] {
  return descendantsOf(server.pid)
    .filter((p) => p.cmdline.includes('--type=extensionHost'))
    .map((p) => p.pid);
}

/**
 * Everything running under the extension hosts (language servers, FlowForge's backend and
 * the jobs it started). Snapshot this before closing a window or calling stop(): once a
 * parent dies its children are reparented and can no longer be found by ancestry.
 */
export function extensionHostDescendants(server: { pid: number }): ProcessInfo[] {
  const table = listProcesses();
  return extensionHostPids(server).flatMap((pid) => descendantsOf(pid, table));
}
