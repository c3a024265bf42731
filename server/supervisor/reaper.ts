// The reaper: a tiny separate process per supervisor that holds a pipe to it
// and the list of live job groups, pids and job tokens. When the pipe closes
// without a clean goodbye (the supervisor was SIGKILLed or crashed), it kills
// everything on the list, so no job outlives its supervisor by more than a
// moment. It runs from source text (`node -e`) so it needs no file on disk.
import { spawn, type ChildProcess } from 'node:child_process';

/**
 * The reaper program. Plain JavaScript with no imports beyond Node built-ins.
 * Protocol (one command per line on stdin):
 *   G <pgid> / -G <pgid>            track or forget a process group
 *   P <pid> <starttime> / -P <pid>  track or forget one process (escapees)
 *   T <token> / -T <token>          track or forget a job token (found in /proc/<pid>/environ)
 *   Q                               clean exit: kill nothing
 */
export const REAPER_SOURCE = String.raw`
'use strict';
const fs = require('fs');
const groups = new Set(), pids = new Map(), tokens = new Set();
let buf = '', quit = false;
process.title = 'flowforge-reaper';
for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(s, () => {});
function startTime(pid) {
  try { const t = fs.readFileSync('/proc/' + pid + '/stat', 'latin1'); return t.slice(t.lastIndexOf(')') + 2).split(' ')[19]; }
  catch { return null; }
}
function kill(target) { try { process.kill(target, 'SIGKILL'); } catch {} }
function sweep() {
  if (process.platform === 'win32') {
    for (const [pid] of pids) { try { require('child_process').execFileSync('taskkill', ['/T', '/F', '/PID', String(pid)]); } catch {} }
    return;
  }
  for (const g of groups) kill(-g);
  for (const [pid, st] of pids) if (process.platform !== 'linux' || startTime(pid) === st) kill(pid);
  if (process.platform !== 'linux' || tokens.size === 0) return;
  let names = [];
  try { names = fs.readdirSync('/proc'); } catch {}
  const parent = new Map();
  for (const n of names) {
    if (!/^\d+$/.test(n)) continue;
    try {
      const t = fs.readFileSync('/proc/' + n + '/stat', 'latin1');
      parent.set(Number(n), Number(t.slice(t.lastIndexOf(')') + 2).split(' ')[1]));
      const env = fs.readFileSync('/proc/' + n + '/environ', 'latin1');
      for (const tok of tokens) if (env.includes('FLOWFORGE_JOB_TOKEN=' + tok)) { kill(Number(n)); break; }
    } catch {}
  }
  // Descendants of tracked pids that were born after the last report.
  for (const [pid, ppid] of parent) {
    let p = ppid, hops = 0;
    while (p > 1 && hops++ < 64) { if (pids.has(p)) { kill(pid); break; } p = parent.get(p) || 0; }
  }
}
function handle(line) {
  const [cmd, a, b] = line.trim().split(' ');
  if (cmd === 'G') groups.add(Number(a));
  else if (cmd === '-G') groups.delete(Number(a));
  else if (cmd === 'P') pids.set(Number(a), b);
  else if (cmd === '-P') pids.delete(Number(a));
  else if (cmd === 'T') tokens.add(a);
  else if (cmd === '-T') tokens.delete(a);
  else if (cmd === 'Q') quit = true;
}
process.stdin.setEncoding('latin1');
process.stdin.on('data', (d) => {
  buf += d;
  let i;
  while ((i = buf.indexOf('\n')) >= 0) { handle(buf.slice(0, i)); buf = buf.slice(i + 1); }
});
function end() {
  if (quit) process.exit(0);
  // Several passes: a dying tree can still fork for a moment.
  let n = 0;
  const pass = () => { sweep(); if (++n < 4) setTimeout(pass, 150); else process.exit(0); };
  pass();
}
process.stdin.on('end', end);
process.stdin.on('error', end);
`;

/** The supervisor's side of the reaper pipe. */
export class ReaperClient {
  private child: ChildProcess | null = null;

  start(): void {
    if (this.child) return;
    const child = spawn(process.execPath, ['-e', REAPER_SOURCE], {
      // Its own group and session: a terminal's Ctrl+C or hang-up must not take
      // the reaper down with the supervisor it is there to clean up after.
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore'],
      env: { PATH: process.env.PATH ?? '', ELECTRON_RUN_AS_NODE: '1' },
    });
    child.unref();
    // The pipe must not keep the supervisor's event loop alive.
    (child.stdin as unknown as { unref?: () => void }).unref?.();
    child.stdin?.on('error', () => undefined);
    this.child = child;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  private send(line: string): void {
    const stdin = this.child?.stdin;
    if (stdin && !stdin.destroyed) stdin.write(line + '\n');
  }

  trackGroup(pgid: number): void {
    this.send(`G ${pgid}`);
  }
  forgetGroup(pgid: number): void {
    this.send(`-G ${pgid}`);
  }
  trackPid(pid: number, startTime: number): void {
    this.send(`P ${pid} ${startTime}`);
  }
  forgetPid(pid: number): void {
    this.send(`-P ${pid}`);
  }
  trackToken(token: string): void {
    this.send(`T ${token}`);
  }
  forgetToken(token: string): void {
    this.send(`-T ${token}`);
  }

  /** Clean shutdown: every job is already stopped, so the reaper leaves quietly. */
  close(): void {
    if (!this.child) return;
    this.send('Q');
    this.child.stdin?.end();
    this.child = null;
  }
}
