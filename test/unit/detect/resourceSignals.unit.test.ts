// The resource-side signals added for real tools: I/O as progress, the memory
// guard (time until available memory runs out), fork/exec storms' demand, and
// polls versus retry storms, each with its near miss, through detector + policy.
import { strict as assert } from 'node:assert';
import { Detector } from '../../../server/detect/detector';
import { profileThresholds } from '../../../server/policy/profiles';
import { actions, lines, simulate, type Job } from './simulate';

const MB = 1024 * 1024;

describe('resource signals: I/O and the memory guard', () => {
  it('io: bytes per second over the tree window; null while unknown', () => {
    const d = new Detector(profileThresholds('standard'), 0);
    d.observeResources({ t: 1000, cpuPercent: null, rssBytes: 0, procs: 1, spawned: 1, exited: 0, ioBytes: null });
    assert.equal(d.snapshot(1000).io.bytesPerS, null);
    for (let s = 2; s <= 5; s++) d.observeResources({ t: s * 1000, cpuPercent: 100, rssBytes: 0, procs: 1, spawned: 0, exited: 0, ioBytes: 2 * MB });
    const bps = d.snapshot(5000).io.bytesPerS!;
    // 4 readings of 2 MB after the oldest one in the window, over the 4 s since it.
    assert.ok(Math.abs(bps - 2 * MB) < 1, String(bps));
  });

  it('memory guard: seconds until available memory runs out at the recent slope', () => {
    const d = new Detector(profileThresholds('standard'), 0);
    for (let s = 1; s <= 4; s++) {
      d.observeResources({ t: s * 1000, cpuPercent: 100, rssBytes: s * 500 * MB, procs: 1, spawned: 0, exited: 0, memAvailableBytes: (20_000 - s * 500) * MB });
    }
    const m = d.snapshot(4000).memory;
    assert.ok(Math.abs(m.fastSlopeMbPerS - 500) < 1e-6);
    assert.equal(m.availableMb, 18_000);
    assert.equal(m.exhaustInS, 36);
  });
});

/** A tree whose memory grows `mbPerS` from the start, on a machine with `availMb` free at first. */
const balloon = (mbPerS: number, availMb: number, seconds = 20): Job => ({
  seconds,
  output: () => '',
  cpu: () => 100,
  rssMb: (i) => 10 + i * mbPerS,
  memAvailableMb: (i) => availMb - i * mbPerS,
});

describe('detect + policy: fast memory runaways without a limit', () => {
  it('stops memory climbing 500 MB/s on a 20 GB machine within 5 s, saying when memory runs out', () => {
    const r = simulate(balloon(500, 20_000));
    const kill = r.first('kill');
    assert.ok(kill !== null && kill <= 4, `stopped at ${kill}`);
    const v = r.ticks.find((x) => x.verdict.intended === 'kill')!;
    assert.ok(v.snap.memory.rssMb < 4096, `stopped at ${v.snap.memory.rssMb} MB`);
    assert.match(v.verdict.reason, /Memory running out: memory growing 500 MB\/s for 1 s, now 1510 MB; at that rate the 18.1 GB still available run out in 37 s/);
    assert.equal(v.verdict.episode?.kind, 'memory_exhaust');
  });

  it('near miss: a steady 20 MB/s climb on the same machine (17 min to run out) only gets the slow climb alert', () => {
    const r = simulate(balloon(20, 20_000, 70));
    assert.equal(r.first('kill'), null);
  });

  it('near miss: a one-off jump (a 600 MB allocation at start-up) is not a slope', () => {
    const r = simulate({ ...balloon(0, 20_000), rssMb: (i) => (i < 3 ? 50 : 650) });
    assert.deepEqual([...actions(r)], ['continue']);
  });

  it('with the guard off (memoryExhaustS null) the balloon is left to the hard limit', () => {
    const r = simulate(balloon(500, 20_000, 8), { configFile: undefined }, 'run-x', { memoryExhaustS: null });
    assert.equal(r.first('kill'), null);
  });
});

describe('detect + policy: I/O is progress for a silent busy job', () => {
  it('near miss: xz-like job, silent at full CPU for 90 s while reading and writing 2 MB/s, no alert', () => {
    const r = simulate({ seconds: 90, output: () => '', cpu: () => 100, ioBytes: () => 2 * MB }, { profile: 'agent' });
    assert.deepEqual([...actions(r)], ['continue'], r.ticks.find((x) => x.verdict.intended !== 'continue')?.verdict.reason);
  });

  it('a silent spinner with no I/O is still flagged (and stopped under agent)', () => {
    const r = simulate({ seconds: 130, output: () => '', cpu: () => 100, ioBytes: () => 0 }, { profile: 'agent' });
    assert.ok((r.first('alert') ?? 99) <= 52);
    assert.ok((r.first('kill') ?? 999) <= 125);
    assert.match(r.ticks.find((x) => x.verdict.intended === 'kill')!.verdict.reason, /without printing anything or reading and writing/);
  });

  it('a trickle of I/O (a spinner polling a small file, 4 KB/s) does not count as progress', () => {
    const r = simulate({ seconds: 60, output: () => '', cpu: () => 100, ioBytes: () => 4096 });
    assert.ok((r.first('alert') ?? 99) <= 52);
  });
});

describe('detect + policy: polls versus retry storms', () => {
  const ping: Job = {
    seconds: 40,
    output: (i) => lines(10, i * 10, (k) => `64 bytes from 127.0.0.1: icmp_seq=${k + 1} ttl=64 time=0.0${(k * 7) % 90} ms`),
    cpu: () => 1,
  };
  it('a steady poll (ping every 100 ms) at low CPU is left alone', () => {
    assert.deepEqual([...actions(simulate(ping))], ['continue']);
  });

  it('a health poller in a dev server access log, 10 a second, is left alone', () => {
    const r = simulate({ ...ping, output: (i) => lines(10, i * 10, () => `127.0.0.1 - - [05/Dec/2026 07:${String(i % 60).padStart(2, '0')}:00] "GET /health HTTP/1.1" 200 -`) });
    assert.deepEqual([...actions(r)], ['continue']);
  });

  it('the same rate of lines saying the connection was refused is a retry storm: flagged', () => {
    const r = simulate({ ...ping, output: (i) => lines(10, i * 10, (k) => `connect to 127.0.0.1 port 9 failed: Connection refused (attempt ${k})`) });
    const alert = r.first('alert');
    assert.ok(alert !== null && alert <= 20, `alert at ${alert}`);
    assert.match(r.ticks.find((x) => x.verdict.intended === 'alert')!.verdict.reason, /failing each time/);
  });

  it('a repeated line faster than any poll (40/s) is a storm even without failure words', () => {
    const r = simulate({ ...ping, output: (i) => lines(40, i * 40, (k) => `64 bytes from 127.0.0.1: icmp_seq=${k + 1} ttl=64`) });
    assert.ok((r.first('alert') ?? 99) <= 20);
  });

  it('a fork/exec storm names its process churn in the explanation', () => {
    const r = simulate({
      seconds: 15,
      output: (i) => lines(30, i * 30, (k) => (k % 2 ? 'retrying' : "fatal: unable to access 'http://127.0.0.1:9/x.git/': Couldn't connect to server")),
      cpu: () => 90,
      spawned: () => 40,
    });
    const kill = r.first('kill');
    assert.ok(kill !== null && kill <= 12, `stopped at ${kill}`);
    assert.match(r.ticks.find((x) => x.verdict.intended === 'kill')!.verdict.reason, /starting or ending \d+ processes a second/);
  });

  const gitLoop = (cpu: number, spawned: number, line: (k: number) => string, perS = 30): Job => ({
    seconds: 30,
    output: (i) => lines(perS, i * perS, line),
    cpu: () => cpu,
    spawned: () => spawned,
  });
  const failing = (k: number) => (k % 2 ? 'retrying' : "fatal: unable to access 'http://127.0.0.1:9/x.git/': Couldn't connect to server");

  it('a failing retry loop that forks for every attempt is stopped even when a busy machine gives it 5% CPU', () => {
    const r = simulate(gitLoop(5, 2, failing));
    const kill = r.first('kill');
    assert.ok(kill !== null && kill <= 15, `stopped at ${kill}`);
    assert.match(r.ticks.find((x) => x.verdict.intended === 'kill')!.verdict.reason, /failing and retrying at 5% CPU on a busy machine, starting or ending \d+ processes a second/);
  });

  it('near miss: a health poll that forks curl every 100 ms at low CPU (no failure in its lines) is left alone', () => {
    const r = simulate(gitLoop(5, 10, (k) => `health check ${k}: ok`, 10));
    assert.deepEqual([...actions(r)], ['continue'], r.ticks.find((x) => x.verdict.intended !== 'continue')?.verdict.reason);
  });

  it('near miss: the failing loop without process churn (one process retrying in-process) is only flagged, not stopped', () => {
    const r = simulate(gitLoop(5, 0, failing));
    assert.equal(r.first('kill'), null);
    assert.ok((r.first('alert') ?? 99) <= 20);
  });
});

describe('detect + policy: a tick gap (laptop sleep, clock jump) resets stretches', () => {
  it('a silent spin whose machine slept 10 min in the middle starts its silence over and is not flagged at wake-up', () => {
    const d = new Detector(profileThresholds('standard'), 0);
    const tick = (t: number) => {
      d.observeResources({ t, cpuPercent: 100, rssBytes: 0, procs: 1, spawned: 0, exited: 0 });
      return d.snapshot(t);
    };
    for (let s = 1; s <= 30; s++) tick(s * 1000);
    assert.equal(tick(31_000).output.silenceMs, 31_000);
    const woke = tick(31_000 + 600_000);
    assert.ok(woke.output.silenceMs <= 1000, `silence after the gap: ${woke.output.silenceMs}`);
    assert.ok(woke.cpu.highForMs <= 1000, `CPU high for ${woke.cpu.highForMs} after the gap`);
  });

  it('near miss: the same 30 s without a gap keeps counting', () => {
    const d = new Detector(profileThresholds('standard'), 0);
    let s = d.snapshot(0);
    for (let i = 1; i <= 31; i++) {
      d.observeResources({ t: i * 1000, cpuPercent: 100, rssBytes: 0, procs: 1, spawned: 0, exited: 0 });
      s = d.snapshot(i * 1000);
    }
    assert.equal(s.output.silenceMs, 31_000);
    assert.ok(s.cpu.highForMs >= 29_000, String(s.cpu.highForMs));
  });

  it('a CPU loop held for 4 s, then a 20 s gap: the policy starts its window over instead of stopping at wake-up', () => {
    const loop: Job = { seconds: 9, output: (i) => lines(50, i * 50, () => 'retrying the same thing'), cpu: () => 100 };
    const slow = { loopAlertMs: 8_000, loopKillMs: 12_000 };
    const gap = (i: number) => (i >= 6 ? 20_000 : 0);
    const r = simulate(loop, {}, 'run-gap', slow, gap);
    const woke = r.ticks.find((x) => x.s > 26)!;
    assert.equal(woke.verdict.intended, 'continue', woke.verdict.reason);
    assert.ok(woke.snap.output.repetitiveForMs <= 3000, String(woke.snap.output.repetitiveForMs));
  });
});
