// A snapshot of every process on the machine: who is whose parent, which group
// and session it is in, its CPU time and resident memory. One snapshot per tick
// serves every supervised job, so the cost does not grow with the job count.
import { closeSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import pidusage from 'pidusage';

export interface ProcInfo {
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
  /** Start time in the source's own unit (clock ticks since boot on Linux); with pid it names the process. */
  startTime: number;
  /** Own CPU time, milliseconds (user + system). */
  cpuMs: number;
  /** CPU time of reaped children, milliseconds (cutime + cstime). */
  childCpuMs: number;
  /** Of cpuMs, the time in user mode (the rest is kernel); absent where the source cannot tell. */
  userMs?: number;
  /** Of childCpuMs, the time in user mode. */
  childUserMs?: number;
  /** Threads of the process (absent where unknown). */
  threads?: number;
  /** Virtual memory size, bytes (absent where unknown). */
  vsizeBytes?: number;
  rssBytes: number;
  /** One-letter state (R, S, D, Z, T, ...). Zombies are gone for our purposes. */
  state: string;
  comm: string;
}

export interface ProcessSnapshot {
  /** When the snapshot was taken, epoch ms. */
  t: number;
  procs: Map<number, ProcInfo>;
  /**
   * Time a process has spent on a CPU plus waiting for one (Linux schedstat), ms;
   * read on demand, for tree members only. Absent where the system cannot tell.
   */
  schedMs?: (pid: number) => number | null;
  /**
   * Bytes a process has read plus written through system calls (files, pipes,
   * sockets; /proc/<pid>/io rchar + wchar, children it reaped included); read on
   * demand, for tree members only. Absent where the system cannot tell.
   */
  ioBytes?: (pid: number) => number | null;
  /**
   * Bytes a process has made the storage layer fetch and send (/proc/<pid>/io
   * read_bytes and write_bytes), from the same read as `ioBytes`; absent where unknown.
   */
  diskBytes?: (pid: number) => DiskBytes | null;
  /** The part of `schedMs` spent on a CPU (precise, unlike the tick-counted cpuMs), ms. */
  schedRunMs?: (pid: number) => number | null;
  /**
   * How contended the CPUs are: the 1-minute load average per CPU, at least 1
   * (a process that wants a whole CPU gets about 1/contention of one). Absent where unknown.
   */
  contention?: number | null;
  /** Memory the machine (or the cgroup it runs in, if tighter) can still give, bytes. */
  memAvailableBytes?: number | null;
}

export interface DiskBytes {
  read: number;
  write: number;
}

export interface ProcessSource {
  /**
   * The process table. With `seeds`, a source may read only those processes
   * and their descendants (cheap on a machine with many processes); without,
   * it reads every process.
   */
  snapshot(seeds?: readonly number[]): Promise<ProcessSnapshot>;
  /** The environment of a process, if readable (used to find escapees by their job token). */
  environOf(pid: number): string | null;
  dispose(): void;
}

/** A process is named by pid and start time, so a reused pid is never mistaken for the old one. */
export const identityOf = (p: Pick<ProcInfo, 'pid' | 'startTime'>): string => `${p.pid}:${p.startTime}`;

const MAX_CONTENTION = 16;

function fieldAfter(text: string, label: string): number | null {
  const i = text.indexOf(label);
  if (i < 0) return null;
  const v = parseInt(text.slice(i + label.length, text.indexOf('\n', i) >>> 0), 10);
  return Number.isFinite(v) ? v : null;
}

/**
 * MemAvailable from /proc/meminfo, or what the cgroup (v2) still allows if
 * that is less: the kernel's OOM killer acts on whichever runs out first.
 */
export function readMemAvailable(): number | null {
  let avail: number | null = null;
  try {
    const kb = fieldAfter(readFileSync('/proc/meminfo', 'latin1'), 'MemAvailable:');
    if (kb !== null) avail = kb * 1024;
  } catch {
    /* not Linux */
  }
  try {
    const max = readFileSync('/sys/fs/cgroup/memory.max', 'latin1').trim();
    if (max !== 'max') {
      const room = Number(max) - Number(readFileSync('/sys/fs/cgroup/memory.current', 'latin1').trim());
      if (Number.isFinite(room)) avail = avail === null ? room : Math.min(avail, room);
    }
  } catch {
    /* no cgroup v2 limit visible */
  }
  return avail;
}

interface IoCounters {
  chars: number;
  disk: DiskBytes | null;
}

const CLK_TCK = 100; // Linux USER_HZ; fixed at 100 on every mainstream kernel ABI.
const PAGE_SIZE = 4096;

/**
 * Parses one /proc/<pid>/stat line. The command name may hold spaces and
 * parentheses, so fields are counted from the last ')'.
 */
export function parseProcStat(text: string): ProcInfo | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < 0) return null;
  const pid = Number(text.slice(0, open).trim());
  const comm = text.slice(open + 1, close);
  const f = text.slice(close + 2).split(' ');
  // f[0] = state (field 3); fields below are numbered as in proc(5) minus 3.
  const num = (i: number) => Number(f[i]);
  const info: ProcInfo = {
    pid,
    comm,
    state: f[0] ?? '?',
    ppid: num(1),
    pgid: num(2),
    sid: num(3),
    cpuMs: ((num(11) + num(12)) * 1000) / CLK_TCK,
    childCpuMs: ((num(13) + num(14)) * 1000) / CLK_TCK,
    userMs: (num(11) * 1000) / CLK_TCK,
    childUserMs: (num(13) * 1000) / CLK_TCK,
    threads: num(17),
    startTime: num(19),
    vsizeBytes: num(20),
    rssBytes: num(21) * PAGE_SIZE,
  };
  return Number.isFinite(info.pid) && Number.isFinite(info.ppid) ? info : null;
}

/**
 * Linux: read /proc directly with one reused buffer (about 10 µs a process).
 * A seeded snapshot walks down from the seeds through
 * /proc/<pid>/task/<tid>/children, so its cost follows the jobs' trees rather
 * than the machine's process count (hundreds on a desktop).
 */
export class LinuxProcSource implements ProcessSource {
  private buf = Buffer.alloc(2048);
  private childrenFiles: boolean | null = null;

  async snapshot(seeds?: readonly number[]): Promise<ProcessSnapshot> {
    const t = Date.now();
    const procs = new Map<number, ProcInfo>();
    const walk = seeds && this.canListChildren();
    if (walk) {
      const stack = [...seeds];
      while (stack.length) {
        const pid = stack.pop()!;
        if (procs.has(pid)) continue;
        const info = this.readStat(String(pid));
        if (!info) continue;
        procs.set(pid, info);
        stack.push(...this.childrenOf(pid));
      }
    } else {
      for (const name of readdirSync('/proc')) {
        const c = name.charCodeAt(0);
        if (c < 48 || c > 57) continue;
        const info = this.readStat(name);
        if (info) procs.set(info.pid, info);
      }
    }
    const sched = new Map<number, [number, number] | null>();
    const schedOf = (pid: number) => {
      if (!sched.has(pid)) sched.set(pid, this.readSched(pid));
      return sched.get(pid)!;
    };
    const io = new Map<number, IoCounters | null>();
    const ioOf = (pid: number) => {
      if (!io.has(pid)) io.set(pid, this.readIo(pid));
      return io.get(pid)!;
    };
    return {
      t,
      procs,
      schedMs: (pid) => {
        const s = schedOf(pid);
        return s ? s[0] + s[1] : null;
      },
      schedRunMs: (pid) => schedOf(pid)?.[0] ?? null,
      ioBytes: (pid) => ioOf(pid)?.chars ?? null,
      diskBytes: (pid) => ioOf(pid)?.disk ?? null,
      contention: this.readContention(),
      memAvailableBytes: readMemAvailable(),
    };
  }

  /** /proc/<pid>/io: rchar + wchar (every read and write call), and read_bytes / write_bytes (storage). */
  private readIo(pid: number): IoCounters | null {
    const text = this.readSmall(`/proc/${pid}/io`);
    if (text === null) return null;
    const r = fieldAfter(text, 'rchar:');
    const w = fieldAfter(text, 'wchar:');
    if (r === null || w === null) return null;
    const dr = fieldAfter(text, '\nread_bytes:');
    const dw = fieldAfter(text, '\nwrite_bytes:');
    return { chars: r + w, disk: dr === null || dw === null ? null : { read: dr, write: dw } };
  }

  /** Load average (1 min) per CPU, at least 1; capped so one odd reading cannot inflate demand without bound. */
  private readContention(): number | null {
    const text = this.readSmall('/proc/loadavg');
    const load = text === null ? NaN : Number(text.split(' ')[0]);
    if (!Number.isFinite(load)) return null;
    return Math.min(MAX_CONTENTION, Math.max(1, load / availableParallelism()));
  }

  private readSmall(path: string): string | null {
    let fd: number | undefined;
    try {
      fd = openSync(path, 'r');
      const n = readSync(fd, this.buf, 0, this.buf.length, 0);
      return this.buf.toString('latin1', 0, n);
    } catch {
      return null;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  /** Kernels without CONFIG_PROC_CHILDREN have no children files: then every snapshot is a full scan. */
  private canListChildren(): boolean {
    if (this.childrenFiles === null) {
      try {
        readFileSync(`/proc/self/task/${process.pid}/children`);
        this.childrenFiles = true;
      } catch {
        this.childrenFiles = false;
      }
    }
    return this.childrenFiles;
  }

  /** Children of every thread of a process (a child belongs to the thread that forked it). */
  private childrenOf(pid: number): number[] {
    const out: number[] = [];
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${pid}/task`);
    } catch {
      return out;
    }
    for (const tid of tasks) {
      try {
        const text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'latin1');
        for (const c of text.split(' ')) if (c) out.push(Number(c));
      } catch {
        /* the thread ended */
      }
    }
    return out;
  }

  /** /proc/<pid>/schedstat: "<ns on cpu> <ns waiting on a runqueue> <timeslices>". */
  private readSched(pid: number): [run: number, wait: number] | null {
    const text = this.readSmall(`/proc/${pid}/schedstat`);
    if (text === null) return null;
    const [run, wait] = text.split(' ').map((x) => Number(x) / 1e6);
    return Number.isFinite(run) && Number.isFinite(wait) ? [run!, wait!] : null;
  }

  private readStat(pid: string): ProcInfo | null {
    const text = this.readSmall(`/proc/${pid}/stat`); // null: exited between readdir and open
    return text === null ? null : parseProcStat(text);
  }

  environOf(pid: number): string | null {
    try {
      return readFileSync(`/proc/${pid}/environ`, 'latin1');
    } catch {
      return null;
    }
  }

  dispose(): void {}
}

/**
 * Other POSIX systems: `ps` gives the tree, pidusage gives CPU time and memory.
 * Slower (a process spawn per tick), so callers sample less often there.
 */
export class PsProcSource implements ProcessSource {
  async snapshot(_seeds?: readonly number[]): Promise<ProcessSnapshot> {
    const t = Date.now();
    const out = execFileSync('ps', ['-A', '-o', 'pid=,ppid=,pgid=,sess=,state=,lstart=,comm='], {
      encoding: 'utf8',
      maxBuffer: 16 * 1024 * 1024,
    });
    const procs = new Map<number, ProcInfo>();
    for (const line of out.split('\n')) {
      const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s+(\w+\s+\w+\s+\d+\s+[\d:]+\s+\d+)\s+(.*)$/.exec(line);
      if (!m) continue;
      const pid = Number(m[1]);
      procs.set(pid, {
        pid,
        ppid: Number(m[2]),
        pgid: Number(m[3]),
        sid: Number(m[4]),
        state: (m[5] ?? '?')[0] ?? '?',
        startTime: Date.parse(m[6] ?? '') || 0,
        comm: m[7] ?? '',
        cpuMs: 0,
        childCpuMs: 0,
        rssBytes: 0,
      });
    }
    return { t, procs };
  }

  /** Fills CPU time and memory for the pids a caller actually cares about. */
  async fill(snapshot: ProcessSnapshot, pids: number[]): Promise<void> {
    if (pids.length === 0) return;
    const stats = await pidusage(pids).catch(() => ({}) as Record<string, pidusage.Status>);
    for (const [pid, s] of Object.entries(stats)) {
      const p = snapshot.procs.get(Number(pid));
      if (p && s) {
        p.cpuMs = s.ctime;
        p.rssBytes = s.memory;
      }
    }
  }

  environOf(): string | null {
    return null;
  }

  dispose(): void {
    pidusage.clear();
  }
}

export function defaultProcessSource(): ProcessSource {
  return process.platform === 'linux' ? new LinuxProcSource() : new PsProcSource();
}
