// Follows one job's process tree across snapshots: every descendant, including
// those that left the job's process group with setsid, and turns CPU-time
// deltas into "percent of one core" for the whole tree.
import { identityOf, type DiskBytes, type ProcInfo, type ProcessSnapshot } from './processTable';

export interface TreeReading {
  t: number;
  /** Percent of one core summed over the tree; null when no member had two readings yet. */
  cpuPercent: number | null;
  /**
   * CPU the tree wanted: time on a CPU plus time waiting for one, percent of one
   * core (null where unknown). A spinning process stays near 100 here even when a
   * busy machine gives it far less actual CPU.
   */
  cpuDemandPercent: number | null;
  rssBytes: number;
  procs: number;
  /** Processes first seen in this tick. */
  spawned: number;
  /** Tracked processes that went away since the previous tick. */
  exited: number;
  /** Members that are outside the job's process group (escapees). */
  escaped: number;
  /**
   * Bytes read + written by the tree since the previous tick (children reaped
   * in between included, through their parents' counters); null when unknown.
   */
  ioBytes: number | null;
  /** CPU time the tree used since the previous tick, ms (what cpuPercent is made of); null with no reading. */
  cpuMs: number | null;
  /** Of cpuMs, the part in user mode (the rest is kernel time); null where the source cannot tell. */
  cpuUserMs: number | null;
  /** Threads of every member (0 where the source cannot tell). */
  threads: number;
  /** Virtual memory of every member, bytes (0 where the source cannot tell). */
  vsizeBytes: number;
  /** Storage bytes read and written by the tree since the previous tick; null when unknown. */
  disk: DiskBytes | null;
  /** Memory the machine (or its cgroup) can still give, bytes; null when unknown. */
  memAvailableBytes: number | null;
}

/** Below this much CPU among twice-read members, their wait ratio is noise: use the load per CPU. */
const MIN_CPU_FOR_WAIT_RATIO_MS = 10;
/** A wait factor above this is not believed (a reading glitch would otherwise inflate demand). */
const MAX_WAIT_FACTOR = 16;

export interface TrackedProc {
  pid: number;
  startTime: number;
  pgid: number;
  sid: number;
  ppid: number;
}

interface Seen {
  proc: ProcInfo;
  /** CPU time (own) at first sight: the baseline, never a reading by itself. */
  firstCpuMs: number;
  lastT: number;
  /** Scheduler time (on or waiting for a CPU) at the last tick, when known. */
  schedMs: number | null;
  /** Of schedMs, the time on a CPU, when known. */
  runMs: number | null;
  /** Bytes read + written at the last tick, when known. */
  ioBytes: number | null;
  /** Storage bytes read and written at the last tick, when known. */
  disk: DiskBytes | null;
}

export class TreeTracker {
  private seen = new Map<string, Seen>();
  private lastT: number | null = null;

  /**
   * @param rootPid the job's direct child, or, when watching a terminal, the shell
   * @param pgid the job's own process group (the root's pid), or null when the
   *   tree is not ours to own as a group (a watched terminal command)
   * @param excludeRoot watch mode: the root (a user's shell) is never a member
   */
  constructor(
    readonly rootPid: number,
    readonly pgid: number | null,
    readonly excludeRoot = false,
  ) {}

  /** The live members of the tree in a snapshot (zombies excluded). */
  members(snapshot: ProcessSnapshot): ProcInfo[] {
    const { procs } = snapshot;
    const children = new Map<number, number[]>();
    for (const p of procs.values()) {
      const list = children.get(p.ppid);
      if (list) list.push(p.pid);
      else children.set(p.ppid, [p.pid]);
    }
    const seeds: number[] = [this.rootPid];
    for (const p of procs.values()) {
      if (p.pgid === this.pgid) seeds.push(p.pid);
      else if (this.seen.has(identityOf(p))) seeds.push(p.pid); // known escapee, maybe reparented
    }
    const out = new Map<number, ProcInfo>();
    const stack = seeds;
    while (stack.length) {
      const pid = stack.pop()!;
      if (out.has(pid)) continue;
      const p = procs.get(pid);
      if (!p) continue;
      out.set(pid, p);
      for (const c of children.get(pid) ?? []) stack.push(c);
    }
    if (this.excludeRoot) out.delete(this.rootPid);
    return [...out.values()].filter((p) => p.state !== 'Z' && p.state !== 'X');
  }

  /** Takes one snapshot into account and returns the tree's reading for it. */
  observe(snapshot: ProcessSnapshot): TreeReading {
    const members = this.members(snapshot);
    const current = new Map(members.map((p) => [identityOf(p), p]));
    const byPid = new Map(members.map((p) => [p.pid, p]));
    const dtMs = this.lastT === null ? 0 : snapshot.t - this.lastT;

    let cpuMs = 0;
    /** CPU of children reaped since the last tick that was not counted while they lived. */
    let reapedMs = 0;
    let haveReading = false;
    let demandMs = 0;
    let haveDemand = false;
    let ioBytes = 0;
    let haveIo = false;
    const split = new UserSplit();
    const disk: DiskBytes = { read: 0, write: 0 };
    let haveDisk = false;
    const diskNow = new Map<string, DiskBytes | null>();
    let threads = 0;
    let vsize = 0;
    /** CPU and scheduler time of members read twice: how long this tree waits per ms of CPU right now. */
    let waitedCpuMs = 0;
    let waitedSchedMs = 0;
    const sched = new Map<string, number | null>();
    const runs = new Map<string, number | null>();
    const io = new Map<string, number | null>();
    const newborn = new Set<string>();
    let spawned = 0;
    let rss = 0;
    let escaped = 0;
    for (const [id, p] of current) {
      rss += p.rssBytes;
      threads += p.threads ?? 0;
      vsize += p.vsizeBytes ?? 0;
      if (p.pgid !== this.pgid) escaped++;
      const prev = this.seen.get(id);
      if (!prev) {
        spawned++;
        if (this.bornThisTick(p, byPid, dtMs)) {
          // A child of a known member, young enough to have been born since the last
          // tick: its whole life so far is in this interval (a fork/exec storm's
          // children mostly live less than a tick, so a baseline would lose them).
          newborn.add(id);
          haveReading = true;
          cpuMs += p.cpuMs;
          split.live(p.cpuMs, p.userMs);
          const now = snapshot.schedMs?.(p.pid) ?? null;
          sched.set(id, now);
          runs.set(id, snapshot.schedRunMs?.(p.pid) ?? null);
          const run = snapshot.schedRunMs?.(p.pid) ?? null;
          if (now !== null && now <= dtMs) {
            demandMs += now;
            waitedCpuMs += run ?? p.cpuMs;
            waitedSchedMs += now;
          }
        }
        continue; // otherwise first sight: a baseline, not a reading
      }
      haveReading = true;
      const cpuDelta = Math.max(0, p.cpuMs - prev.proc.cpuMs);
      cpuMs += cpuDelta;
      split.live(cpuDelta, delta(p.userMs, prev.proc.userMs));
      const now = snapshot.schedMs?.(p.pid) ?? null;
      const run = snapshot.schedRunMs?.(p.pid) ?? null;
      sched.set(id, now);
      runs.set(id, run);
      if (now !== null && prev.schedMs !== null) {
        haveDemand = true;
        demandMs += Math.max(0, now - prev.schedMs);
        waitedCpuMs += run !== null && prev.runMs !== null ? Math.max(0, run - prev.runMs) : cpuDelta;
        waitedSchedMs += Math.max(0, now - prev.schedMs);
      }
      // Children reaped by this member since last tick: their CPU lands here.
      reapedMs += Math.max(0, p.childCpuMs - prev.proc.childCpuMs);
      split.reaped(Math.max(0, p.childCpuMs - prev.proc.childCpuMs), delta(p.childUserMs, prev.proc.childUserMs));
      const ioNow = snapshot.ioBytes?.(p.pid) ?? null;
      io.set(id, ioNow);
      if (ioNow !== null && prev.ioBytes !== null) {
        haveIo = true;
        ioBytes += Math.max(0, ioNow - prev.ioBytes);
      }
      const d = snapshot.diskBytes?.(p.pid) ?? null;
      diskNow.set(id, d);
      if (d && prev.disk) {
        haveDisk = true;
        disk.read += Math.max(0, d.read - prev.disk.read);
        disk.write += Math.max(0, d.write - prev.disk.write);
      }
    }

    let exited = 0;
    for (const [id, s] of this.seen) {
      if (current.has(id)) continue;
      exited++;
      // Its reaped total is now in its parent's childCpuMs; take out what we
      // already counted for it so the tree total is not counted twice.
      const parent = byPid.get(s.proc.ppid);
      if (parent && this.seen.has(identityOf(parent))) reapedMs -= s.proc.cpuMs - s.firstCpuMs;
    }
    reapedMs = Math.max(0, reapedMs);
    cpuMs += reapedMs;
    // Processes that lived less than a tick have no scheduler reading of their own.
    // On a busy machine they waited for a CPU too: estimate their demand as their
    // CPU times how long this tree's other processes waited per ms of CPU this
    // tick (or, without enough of those, the load per CPU), so a fork/exec storm
    // shows its real cost instead of the slice it got.
    if (haveDemand && reapedMs > 0) {
      const factor = waitedCpuMs >= MIN_CPU_FOR_WAIT_RATIO_MS ? waitedSchedMs / waitedCpuMs : (snapshot.contention ?? 1);
      demandMs += reapedMs * Math.min(MAX_WAIT_FACTOR, Math.max(1, factor));
    }

    for (const [id, p] of current) {
      const prev = this.seen.get(id);
      const schedMs = sched.has(id) ? sched.get(id)! : (snapshot.schedMs?.(p.pid) ?? null);
      const ioNow = io.has(id) ? io.get(id)! : (snapshot.ioBytes?.(p.pid) ?? null);
      const firstCpuMs = prev ? prev.firstCpuMs : newborn.has(id) ? 0 : p.cpuMs;
      const runMs = runs.has(id) ? runs.get(id)! : (snapshot.schedRunMs?.(p.pid) ?? null);
      const diskBytes = diskNow.has(id) ? diskNow.get(id)! : (snapshot.diskBytes?.(p.pid) ?? null);
      this.seen.set(id, { proc: p, firstCpuMs, lastT: snapshot.t, schedMs, runMs, ioBytes: ioNow, disk: diskBytes });
    }
    for (const id of [...this.seen.keys()]) if (!current.has(id)) this.seen.delete(id);

    const cpuPercent = haveReading && dtMs > 0 ? (Math.max(0, cpuMs) / dtMs) * 100 : null;
    const cpuDemandPercent = haveDemand && dtMs > 0 ? (demandMs / dtMs) * 100 : null;
    this.lastT = snapshot.t;
    return {
      t: snapshot.t,
      cpuPercent,
      cpuDemandPercent,
      rssBytes: rss,
      procs: current.size,
      spawned,
      exited,
      escaped,
      ioBytes: haveIo ? ioBytes : null,
      cpuMs: haveReading ? Math.max(0, cpuMs) : null,
      cpuUserMs: haveReading ? split.userOf(Math.max(0, cpuMs), reapedMs) : null,
      threads,
      vsizeBytes: vsize,
      disk: haveDisk ? disk : null,
      memAvailableBytes: snapshot.memAvailableBytes ?? null,
    };
  }

  /**
   * Whether a process seen for the first time was born since the last tick: its
   * parent was already a member then (so it would have been found had it existed),
   * and it has used no more CPU than the interval holds.
   */
  private bornThisTick(p: ProcInfo, byPid: Map<number, ProcInfo>, dtMs: number): boolean {
    if (this.lastT === null || dtMs <= 0 || p.cpuMs > dtMs) return false;
    const parent = byPid.get(p.ppid);
    return parent !== undefined && this.seen.has(identityOf(parent));
  }

  /** Every process this tracker currently knows as part of the tree. */
  tracked(): TrackedProc[] {
    return [...this.seen.values()].map(({ proc }) => ({
      pid: proc.pid,
      startTime: proc.startTime,
      pgid: proc.pgid,
      sid: proc.sid,
      ppid: proc.ppid,
    }));
  }
}

const delta = (now: number | undefined, before: number | undefined): number | null =>
  now === undefined || before === undefined ? null : Math.max(0, now - before);

/**
 * Splits a tick's tree CPU into user and kernel time. Members read twice give
 * their own user share; CPU of reaped children (already net of what was counted
 * while they lived) takes their parents' cutime share. Unknown (a source
 * without the split): null.
 */
class UserSplit {
  private liveCpu = 0;
  private liveUser = 0;
  private reapedCpu = 0;
  private reapedUser = 0;
  private known = true;

  live(cpuMs: number, userMs: number | null | undefined): void {
    if (userMs === null || userMs === undefined) this.known = false;
    else {
      this.liveCpu += cpuMs;
      this.liveUser += Math.min(cpuMs, userMs);
    }
  }

  reaped(cpuMs: number, userMs: number | null): void {
    if (userMs === null) this.known = false;
    else {
      this.reapedCpu += cpuMs;
      this.reapedUser += Math.min(cpuMs, userMs);
    }
  }

  /** User-mode ms of `totalMs`, of which `reapedMs` came from reaped children. */
  userOf(totalMs: number, reapedMs: number): number | null {
    if (!this.known) return null;
    const reapedShare = this.reapedCpu > 0 ? this.reapedUser / this.reapedCpu : 0;
    return Math.min(totalMs, this.liveUser + reapedMs * reapedShare);
  }
}
