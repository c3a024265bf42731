// The tree readings added for real tools, on real processes: the CPU of
// children that live less than a tick (a shell forking short commands), I/O
// bytes of a real copy, and the machine's available memory. No mocks: a real
// /proc, real forks.
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { LinuxProcSource, readMemAvailable } from '../../../server/supervisor/processTable';
import { TreeTracker } from '../../../server/supervisor/treeTracker';
import { sleep } from '../../../server/util/clock';

function start(script: string): ChildProcess {
  return spawn('bash', ['-c', script], { detached: true, stdio: 'ignore' });
}

function stop(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

/** Observes a job's tree every 500 ms for `ticks` ticks; returns the readings after the first. */
async function observe(child: ChildProcess, ticks: number) {
  const source = new LinuxProcSource();
  const tracker = new TreeTracker(child.pid!, child.pid!);
  const readings = [];
  for (let i = 0; i < ticks; i++) {
    const r = tracker.observe(await source.snapshot([child.pid!]));
    if (i > 0) readings.push(r);
    await sleep(500);
  }
  return readings;
}

describe('tree readings on real processes: short-lived children, I/O, memory', function () {
  if (process.platform !== 'linux') return;
  this.timeout(30_000);

  it('a shell forking short commands: their CPU is in the tree total although none lives a tick', async () => {
    // Each `sha1sum` of a small buffer lives a few ms; the shell reaps them all.
    const child = start('while :; do head -c 200000 /dev/zero | sha1sum >/dev/null; done');
    try {
      // utime + stime + cutime + cstime of the shell, ms: the kernel's own account of the whole tree.
      const kernel = () => {
        const f = readFileSync(`/proc/${child.pid}/stat`, 'latin1').split(') ')[1]!.split(' ');
        return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * 10;
      };
      const source = new LinuxProcSource();
      const tracker = new TreeTracker(child.pid!, child.pid!);
      await sleep(300);
      let treeMs = 0;
      let first: { t: number; k: number } | null = null;
      let last = { t: 0, k: 0 };
      let churn = 0;
      for (let i = 0; i < 7; i++) {
        const snap = await source.snapshot([child.pid!]);
        const k = kernel();
        const r = tracker.observe(snap);
        if (first) {
          treeMs += ((r.cpuPercent ?? 0) * (snap.t - last.t)) / 100;
          churn += r.spawned + r.exited;
        } else first = { t: snap.t, k };
        last = { t: snap.t, k };
        await sleep(500);
      }
      const truthMs = last.k - first!.k;
      assert.ok(truthMs >= 30, `the loop used ${truthMs} ms of CPU in 3 s (too little to compare)`);
      // Tick-counted CPU (10 ms units) read a moment apart: equal within a few ticks.
      assert.ok(Math.abs(treeMs - truthMs) <= Math.max(40, truthMs * 0.25), `tree ${treeMs.toFixed(0)} ms vs the kernel's ${truthMs} ms`);
      assert.ok(churn > 0, 'churn seen');
    } finally {
      stop(child);
    }
  });

  it('near miss: a shell that forks `sleep` every 100 ms reads near zero CPU', async () => {
    const child = start('while :; do sleep 0.1; done');
    try {
      const readings = await observe(child, 6);
      const cpu = readings.map((r) => r.cpuPercent ?? 0);
      assert.ok(Math.max(...cpu) < 25, `tree CPU readings ${cpu.map((x) => x.toFixed(0))}`);
    } finally {
      stop(child);
    }
  });

  it('I/O: a real copy reads and writes megabytes a second; a sleeping shell does not', async () => {
    const copy = start('while :; do head -c 20000000 /dev/zero | cat > /dev/null; done');
    const idle = start('sleep 30');
    try {
      const [busy, quiet] = await Promise.all([observe(copy, 5), observe(idle, 5)]);
      const bytes = busy.reduce((n, r) => n + (r.ioBytes ?? 0), 0);
      assert.ok(bytes > 10_000_000, `copy: ${bytes} bytes over 2 s`);
      // (its first reading still holds the exec of `sleep` reading its binary)
      assert.ok(quiet.slice(1).every((r) => (r.ioBytes ?? 0) < 10_000), `sleep: ${quiet.map((r) => r.ioBytes)}`);
    } finally {
      stop(copy);
      stop(idle);
    }
  });

  it('available memory is read from /proc/meminfo (and is less than the total)', () => {
    const avail = readMemAvailable();
    assert.ok(avail !== null && avail > 0);
    assert.ok(avail <= totalmem());
  });
});
