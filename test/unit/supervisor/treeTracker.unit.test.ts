import { strict as assert } from 'node:assert';
import { parseProcStat, type ProcInfo, type ProcessSnapshot } from '../../../server/supervisor/processTable';
import { TreeTracker } from '../../../server/supervisor/treeTracker';

function proc(p: Partial<ProcInfo> & { pid: number; ppid: number }): ProcInfo {
  return { pgid: 100, sid: 100, startTime: p.pid * 10, cpuMs: 0, childCpuMs: 0, rssBytes: 1 << 20, state: 'S', comm: 'x', ...p };
}
const snap = (t: number, procs: ProcInfo[]): ProcessSnapshot => ({ t, procs: new Map(procs.map((p) => [p.pid, p])) });

describe('parseProcStat', () => {
  it('reads fields after the last parenthesis, whatever the command name holds', () => {
    const line =
      '4242 (we(ir)d name) R 1 4242 4242 0 -1 4194304 100 0 0 0 250 50 7 3 20 0 1 0 98765 1000000 300 18446744073709551615';
    const p = parseProcStat(line)!;
    assert.equal(p.pid, 4242);
    assert.equal(p.comm, 'we(ir)d name');
    assert.equal(p.state, 'R');
    assert.equal(p.ppid, 1);
    assert.equal(p.pgid, 4242);
    assert.equal(p.cpuMs, 3000); // (250 + 50) ticks at 100 Hz
    assert.equal(p.childCpuMs, 100);
    assert.equal(p.startTime, 98765);
    assert.equal(p.rssBytes, 300 * 4096);
  });

  it('reads the user-mode share, threads and virtual size from the same line (what the OpenTelemetry export reports)', () => {
    const p = parseProcStat('4242 (job) R 1 4242 4242 0 -1 4194304 100 0 0 0 250 50 7 3 20 0 4 0 98765 1000000 300 18446744073709551615')!;
    assert.equal(p.userMs, 2500);
    assert.equal(p.childUserMs, 70);
    assert.equal(p.threads, 4);
    assert.equal(p.vsizeBytes, 1000000);
  });

  it('rejects a line that is not a stat line', () => {
    assert.equal(parseProcStat('garbage'), null);
  });
});

describe('TreeTracker', () => {
  it('does not count the first sample of a new pid as a reading', () => {
    const t = new TreeTracker(100, 100);
    const r1 = t.observe(snap(0, [proc({ pid: 100, ppid: 1, cpuMs: 50_000 })]));
    assert.equal(r1.cpuPercent, null, 'a lifetime total is not a rate');
    assert.equal(r1.spawned, 1);
    const r2 = t.observe(snap(1000, [proc({ pid: 100, ppid: 1, cpuMs: 50_500 })]));
    assert.equal(r2.cpuPercent, 50);
  });

  it('sums CPU over every descendant while the direct child is idle', () => {
    const t = new TreeTracker(100, 100);
    const tree = (ms: number, a: number, b: number) => [
      proc({ pid: 100, ppid: 1, cpuMs: 10 }),
      proc({ pid: 101, ppid: 100, cpuMs: a }),
      proc({ pid: 102, ppid: 101, cpuMs: b }),
    ];
    t.observe(snap(0, tree(0, 0, 0)));
    const r = t.observe(snap(1000, tree(1000, 1000, 990)));
    assert.equal(r.procs, 3);
    assert.ok(Math.abs(r.cpuPercent! - 199) < 0.01, `got ${r.cpuPercent}`);
  });

  it('a new child in a later tick adds nothing until its second reading', () => {
    const t = new TreeTracker(100, 100);
    t.observe(snap(0, [proc({ pid: 100, ppid: 1 })]));
    const r = t.observe(snap(1000, [proc({ pid: 100, ppid: 1 }), proc({ pid: 200, ppid: 100, cpuMs: 90_000 })]));
    assert.equal(r.cpuPercent, 0);
    assert.equal(r.spawned, 1);
  });

  it('keeps following an escapee that left the group and was reparented to init', () => {
    const t = new TreeTracker(100, 100);
    t.observe(snap(0, [proc({ pid: 100, ppid: 1 }), proc({ pid: 300, ppid: 100, pgid: 300, sid: 300 })]));
    const r = t.observe(
      snap(1000, [proc({ pid: 100, ppid: 1 }), proc({ pid: 300, ppid: 1, pgid: 300, sid: 300, cpuMs: 1000 })]),
    );
    assert.equal(r.procs, 2, 'the reparented escapee is still ours');
    assert.equal(r.escaped, 1);
    assert.equal(r.cpuPercent, 100);
  });

  it('does not mistake a reused pid for the process it tracked', () => {
    const t = new TreeTracker(100, 100);
    t.observe(snap(0, [proc({ pid: 100, ppid: 1 }), proc({ pid: 300, ppid: 100, pgid: 300 })]));
    t.observe(snap(1000, [proc({ pid: 100, ppid: 1 })]));
    const r = t.observe(snap(2000, [proc({ pid: 100, ppid: 1 }), proc({ pid: 300, ppid: 1, pgid: 999, startTime: 77 })]));
    assert.equal(r.procs, 1, 'a stranger with the same pid is not a member');
  });

  it('counts reaped children once: their CPU moves to the parent without double counting', () => {
    const t = new TreeTracker(100, 100);
    t.observe(snap(0, [proc({ pid: 100, ppid: 1 }), proc({ pid: 101, ppid: 100, cpuMs: 0 })]));
    t.observe(snap(1000, [proc({ pid: 100, ppid: 1 }), proc({ pid: 101, ppid: 100, cpuMs: 800 })]));
    // 101 used 200 ms more, exited and was reaped: its total (1000) is in the parent's childCpuMs.
    const r = t.observe(snap(2000, [proc({ pid: 100, ppid: 1, childCpuMs: 1000 })]));
    assert.equal(r.exited, 1);
    assert.ok(Math.abs(r.cpuPercent! - 20) < 0.01, `got ${r.cpuPercent}`);
  });

  it('leaves zombies out and, in watch mode, never counts the shell itself', () => {
    const t = new TreeTracker(50, null, true);
    const r = t.observe(
      snap(0, [proc({ pid: 50, ppid: 1, pgid: 50 }), proc({ pid: 51, ppid: 50, pgid: 51 }), proc({ pid: 52, ppid: 50, state: 'Z' })]),
    );
    assert.deepEqual(t.members(snap(0, [proc({ pid: 50, ppid: 1 }), proc({ pid: 51, ppid: 50 })])).map((p) => p.pid), [51]);
    assert.equal(r.procs, 1);
  });
});

describe('TreeTracker: short-lived children, I/O, available memory', () => {
  const withSched = (s: ProcessSnapshot, sched: Record<number, number>, extra: Partial<ProcessSnapshot> = {}): ProcessSnapshot => ({
    ...s,
    schedMs: (pid) => sched[pid] ?? null,
    ...extra,
  });

  it('children that lived less than a tick: their CPU comes from the parent, their demand from it times the contention', () => {
    const t = new TreeTracker(100, 100);
    // A shell that reaps ~300 ms of children per second on a machine 3x oversubscribed.
    t.observe(withSched(snap(0, [proc({ pid: 100, ppid: 1, childCpuMs: 0 })]), { 100: 0 }, { contention: 3 }));
    const r = t.observe(withSched(snap(1000, [proc({ pid: 100, ppid: 1, childCpuMs: 300 })]), { 100: 5 }, { contention: 3 }));
    assert.equal(r.cpuPercent, 30, 'CPU actually used, including the reaped children');
    assert.equal(r.cpuDemandPercent, 5 / 10 + 90, 'the shell itself (5 ms) plus 300 ms x 3');
  });

  it('near miss: on an idle machine the estimate adds nothing beyond the CPU used', () => {
    const t = new TreeTracker(100, 100);
    t.observe(withSched(snap(0, [proc({ pid: 100, ppid: 1 })]), { 100: 0 }, { contention: 1 }));
    const r = t.observe(withSched(snap(1000, [proc({ pid: 100, ppid: 1, childCpuMs: 200 })]), { 100: 0 }, { contention: 1 }));
    assert.equal(r.cpuDemandPercent, 20);
  });

  it('counts read + write bytes as deltas over live members, unknown until a second reading', () => {
    const t = new TreeTracker(100, 100);
    const io = (a: number, b: number) => (pid: number) => (pid === 100 ? a : pid === 101 ? b : null);
    const tree = [proc({ pid: 100, ppid: 1 }), proc({ pid: 101, ppid: 100 })];
    const r1 = t.observe({ ...snap(0, tree), ioBytes: io(1000, 5000) });
    assert.equal(r1.ioBytes, null, 'a lifetime total is not a rate');
    const r2 = t.observe({ ...snap(1000, tree), ioBytes: io(1500, 9000), memAvailableBytes: 123 });
    assert.equal(r2.ioBytes, 500 + 4000);
    assert.equal(r2.memAvailableBytes, 123);
    const r3 = t.observe(snap(2000, tree));
    assert.equal(r3.ioBytes, null, 'a source that cannot tell gives no number, not zero');
  });

  it('splits the tick\'s CPU into user and kernel time (reaped children by their parent\'s cutime share), sums threads, counts storage bytes by direction', () => {
    const t = new TreeTracker(100, 100);
    const disk = (r: number, w: number) => (pid: number) => (pid === 100 ? { read: r, write: w } : null);
    t.observe({ ...snap(0, [proc({ pid: 100, ppid: 1, cpuMs: 0, userMs: 0, childCpuMs: 0, childUserMs: 0, threads: 3, vsizeBytes: 10 })]), diskBytes: disk(0, 0) });
    const r = t.observe({
      ...snap(1000, [proc({ pid: 100, ppid: 1, cpuMs: 400, userMs: 300, childCpuMs: 200, childUserMs: 50, threads: 5, vsizeBytes: 20 })]),
      diskBytes: disk(4096, 8192),
    });
    assert.equal(r.cpuMs, 600);
    assert.equal(r.cpuUserMs, 300 + 50, 'own user time plus the reaped children\'s user share');
    assert.equal(r.threads, 5);
    assert.equal(r.vsizeBytes, 20);
    assert.deepEqual(r.disk, { read: 4096, write: 8192 });
  });

  it('a source that cannot split user from kernel time gives null, not a guess', () => {
    const t = new TreeTracker(100, 100);
    t.observe(snap(0, [proc({ pid: 100, ppid: 1 })]));
    const r = t.observe(snap(1000, [proc({ pid: 100, ppid: 1, cpuMs: 500 })]));
    assert.equal(r.cpuMs, 500);
    assert.equal(r.cpuUserMs, null);
    assert.equal(r.disk, null);
  });
});
