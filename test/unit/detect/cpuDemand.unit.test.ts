// On a busy machine a spinning job gets a small share of a core; its CPU
// demand (time on a CPU plus waiting for one) still shows it wants a whole
// core. The tree tracker measures demand, the detector judges busyness by it.
import { strict as assert } from 'node:assert';
import { Detector } from '../../../server/detect/detector';
import { profileThresholds } from '../../../server/policy/profiles';
import type { ProcInfo, ProcessSnapshot } from '../../../server/supervisor/processTable';
import { TreeTracker } from '../../../server/supervisor/treeTracker';

const proc = (pid: number, cpuMs: number): ProcInfo => ({
  pid,
  ppid: 1,
  pgid: 100,
  sid: 100,
  startTime: 1,
  cpuMs,
  childCpuMs: 0,
  rssBytes: 1 << 20,
  state: 'R',
  comm: 'python3',
});

describe('CPU demand', () => {
  it('the tree tracker turns scheduler time into demand, next to the CPU actually used', () => {
    const tracker = new TreeTracker(100, 100);
    const sched = new Map<number, number>();
    const snap = (t: number, cpuMs: number, schedMs: number): ProcessSnapshot => {
      sched.set(100, schedMs);
      return { t, procs: new Map([[100, proc(100, cpuMs)]]), schedMs: (pid) => sched.get(pid) ?? null };
    };
    const first = tracker.observe(snap(0, 0, 0));
    assert.equal(first.cpuDemandPercent, null, 'the first sight is a baseline');
    const r = tracker.observe(snap(1000, 300, 1000));
    assert.equal(r.cpuPercent, 30);
    assert.equal(r.cpuDemandPercent, 100);
    const plain = new TreeTracker(100, 100);
    plain.observe({ t: 0, procs: new Map([[100, proc(100, 0)]]) });
    assert.equal(plain.observe({ t: 1000, procs: new Map([[100, proc(100, 300)]]) }).cpuDemandPercent, null);
  });

  it('the detector calls a job busy by its demand when known, by its CPU otherwise', () => {
    const th = profileThresholds('standard');
    const d = new Detector(th, 0);
    for (let i = 1; i <= 6; i++) d.observeResources({ t: i * 1000, cpuPercent: 25, cpuDemandPercent: 100, rssBytes: 0, procs: 1, spawned: 0, exited: 0 });
    const s = d.snapshot(6000);
    assert.equal(s.cpu.sustainedPercent, 25);
    assert.equal(s.cpu.busyPercent, 100);
    assert.ok(s.cpu.highForMs >= 5000);
    const plain = new Detector(th, 0);
    for (let i = 1; i <= 6; i++) plain.observeResources({ t: i * 1000, cpuPercent: 25, rssBytes: 0, procs: 1, spawned: 0, exited: 0 });
    const p = plain.snapshot(6000);
    assert.equal(p.cpu.busyPercent, 25);
    assert.equal(p.cpu.highForMs, 0, 'below maxCpu');
  });
});
