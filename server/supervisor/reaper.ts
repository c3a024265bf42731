// The reaper: a tiny separate process per supervisor that holds a pipe to it
// and the list of live job groups, pids and job tokens. When the pipe closes
// without a clean goodbye (the supervisor was SIGKILLed or crashed), it kills
// everything on the list, so no job outlives its supervisor by more than a
// moment. It runs from source text (`node -e`) so it needs no file on disk.
import { spawn, type ChildProcess } from 'node:child_process';

/**
 * The reaper program. Plain JavaScript with no imports beyond Node built-ins.
 * Protocol (one command per line on stdin):
 *   G <pgid> / -G <pgid>            track or forget a process group (its leader's start time is read on receipt)
 *   P <pid> <starttime> / -P <pid>  track or forget one process (escapees)
 *   T <token> / -T <token>          track or forget a job token (found in /proc/<pid>/environ)
 *   Q                               clean exit: kill nothing
 */
export const REAPER_SOURCE = String.raw`
'use strict';
const fs = require('fs');
// Pids are reused: every target is checked against the /proc table just before
// it is killed. A group is killed only while a member we can prove is in it
// (its leader with the start time it had when reported, a tracked pid with its
// start time, or a holder of a job token); the kernel never reuses a group id
// that still has a member.
const groups = new Map(), pids = new Map(), tokens = new Set();
let buf = '', quit = false;
process.title = 'flowforge-reaper';
for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(s, () => {});
function stat(pid) {
  try {
    const t = fs.readFileSync('/proc/' + pid + '/stat', 'latin1');
    const f = t.slice(t.lastIndexOf(')') + 2).split(' ');
    return { state: f[0], ppid: Number(f[1]), pgid: Number(f[2]), start: f[19] };
  } catch { return null; }
}
function startTime(pid) { const s = stat(pid); return s && s.state !== 'Z' ? s.start : null; }
function kill(target) { try { process.kill(target, 'SIGKILL'); } catch {} }
function table() {
  const out = new Map();
  let names = [];
  try { names = fs.readdirSync('/proc'); } catch {}
  for (const n of names) {
    if (!/^\d+$/.test(n)) continue;
    const s = stat(n);
    if (!s || s.state === 'Z') continue;
    let token = false;
    if (tokens.size) {
      try {
        const env = fs.readFileSync('/proc/' + n + '/environ', 'latin1');
        for (const tok of tokens) if (env.includes('FLOWFORGE_JOB_TOKEN=' + tok)) { token = true; break; }
      } catch {}
    }
    out.set(Number(n), Object.assign(s, { token }));
  }
  return out;
}
function sweep() {
  if (process.platform === 'win32') {
    for (const [pid] of pids) { try { require('child_process').execFileSync('taskkill', ['/T', '/F', '/PID', String(pid)]); } catch {} }
    return;
  }
  if (process.platform !== 'linux') {
    for (const [g] of groups) kill(-g);
    for (const [pid] of pids) kill(pid);
    return;
  }
  const procs = table();
  const tracked = (pid, p) => pids.has(pid) && pids.get(pid) === p.start;
  const known = (pid, p) => p.token || tracked(pid, p) || (groups.has(pid) && groups.get(pid) === p.start);
  for (const [g] of groups) {
    for (const [pid, p] of procs) {
      if (p.pgid !== g || !known(pid, p)) continue;
      if (startTime(pid) === p.start) kill(-g);
      break;
    }
  }
  for (const [pid, p] of procs) {
    let ours = p.token || tracked(pid, p);
    // Descendants of tracked pids that were born after the last report.
    for (let q = p.ppid, hops = 0; !ours && q > 1 && hops < 64; hops++) {
      const parent = procs.get(q);
      if (!parent) break;
      ours = tracked(q, parent);
      q = parent.ppid;
    }
    if (ours && startTime(pid) === p.start) kill(pid);
  }
}
function handle(line) {
  const [cmd, a, b] = line.trim().split(' ');
  // The leader's start time now, while it is surely the process we were told about.
  if (cmd === 'G') groups.set(Number(a), startTime(Number(a)));
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
  /** Lines sent before start(): a job may start before its reaper does (it must not wait for a process spawn). */
  private early: string[] | null = [];

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
    const early = this.early ?? [];
    this.early = null;
    for (const line of early) this.send(line);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  private send(line: string): void {
    if (this.early) return void this.early.push(line);
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
