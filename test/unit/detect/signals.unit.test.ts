// Each signal of the detector on its own, with a fake clock.
import { strict as assert } from 'node:assert';
import { Detector } from '../../../server/detect/detector';
import type { DetectionThresholds, ResourceReading } from '../../../server/detect/types';
import { profileThresholds } from '../../../server/policy/profiles';
import { FakeClock } from '../../../server/util/clock';

function setup(over: Partial<DetectionThresholds> = {}) {
  const clock = new FakeClock();
  const start = clock.now();
  const d = new Detector({ ...profileThresholds('standard'), ...over }, start);
  const out = (text: string, stream: 'stdout' | 'stderr' = 'stdout') => d.observeOutput(stream, Buffer.from(text), clock.now());
  /** One second: `perSecond` lines from `make` in 10 chunks, then a snapshot. */
  const second = (perSecond: number, make: (k: number) => string, base = 0) => {
    for (let c = 0; c < 10; c++) {
      clock.advance(100);
      let s = '';
      for (let j = 0; j < perSecond / 10; j++) s += make(base + c * (perSecond / 10) + j) + '\n';
      if (s) out(s);
    }
    return d.snapshot(clock.now());
  };
  const reading = (r: Partial<ResourceReading>) =>
    d.observeResources({ t: clock.now(), cpuPercent: 0, rssBytes: 0, procs: 1, spawned: 0, exited: 0, ...r });
  return { clock, start, d, out, second, reading };
}

describe('detector signals', () => {
  it('rate: lines per second over the recent window', () => {
    const { second } = setup();
    let s = second(50, (k) => `line ${k}`);
    for (let i = 1; i < 6; i++) s = second(50, (k) => `line ${k}`, i * 50);
    assert.ok(Math.abs(s.output.rate - 50) < 2, String(s.output.rate));
    assert.equal(s.output.linesTotal, 300);
    assert.equal(s.output.linesDelta, 50);
  });

  it('repetition and cycle length: one line, a 3-line cycle, and a varied mix', () => {
    const one = setup().second(30, (k) => `poll ${k}`);
    assert.deepEqual([one.output.repetition, one.output.cycleLength], [1 - 1 / 30, 1]);
    const three = setup().second(30, (k) => ['edit file', 'run tests', `fail ${k}`][k % 3]!);
    assert.equal(three.output.cycleLength, 3);
    assert.ok(three.output.repetition >= 0.85);
    // Pseudo-random kinds (an LCG mod 2^31): a varied mix with no period. (A mod-11 generator
    // would repeat a 10-line cycle, which the long-cycle check now rightly finds.)
    let x = 1;
    const mixed = setup().second(60, () => `event kind_${(x = (x * 1103515245 + 12345) % 2147483648) % 11}`);
    assert.ok(mixed.output.repetition < 0.5, String(mixed.output.repetition));
    assert.equal(mixed.output.cycleLength, null);
  });

  it('repetition is judged per stream, so interleaved stdout and stderr loops still count', () => {
    const { out, clock, d } = setup();
    for (let i = 0; i < 40; i++) {
      clock.advance(25);
      out(`progress tick ${i}\n`, i % 3 === 0 ? 'stderr' : 'stdout');
      if (i % 3 === 0) out('retrying\n', 'stdout');
    }
    const s = d.snapshot(clock.now());
    assert.ok(s.output.repetition >= 0.6, String(s.output.repetition));
  });

  it('novelty: every line new scores 1, a repeated line 0; new templates per minute', () => {
    const novel = setup().second(20, (k) => `compiled module_${k.toString(36)}x.js`);
    assert.equal(novel.output.novelShare, 1);
    assert.equal(novel.output.novelty, 20);
    const { second } = setup();
    second(20, (k) => `poll ${k}`);
    const later = second(20, (k) => `poll ${k}`, 20);
    assert.equal(later.output.novelShare, 1 / 40, 'only the first line of the window was new');
  });

  it('silence: grows without output; carriage-return redraws are output but not lines', () => {
    const { out, clock, d } = setup();
    out('started\n');
    clock.advance(7000);
    assert.equal(d.snapshot(clock.now()).output.silenceMs, 7000);
    out('\r 10%');
    clock.advance(100);
    out('\r 20%');
    const s = d.snapshot(clock.now());
    assert.equal(s.output.silenceMs, 0);
    assert.equal(s.output.linesTotal, 1);
  });

  it('a carriage-return line keeps only its last frame; CRLF ends a line normally', () => {
    const { out, clock, d } = setup();
    out('\rdownloading 10%\rdownloading 55%\rdone      \n');
    out('ok\r\n');
    const s = d.snapshot(clock.now());
    assert.deepEqual([...s.output.templates].sort(), ['done', 'ok']);
  });

  it('a trailing line without newline is analysed after partialLineMs of quiet, not before', () => {
    const { out, clock, d } = setup({ partialLineMs: 1000 });
    out('Continue? [y/N] ');
    clock.advance(500);
    d.flushPartial(clock.now());
    assert.equal(d.snapshot(clock.now()).output.linesTotal, 0);
    clock.advance(600);
    d.flushPartial(clock.now());
    const s = d.snapshot(clock.now());
    assert.equal(s.output.linesTotal, 1);
    assert.deepEqual(s.output.templates, ['Continue? [y/N]']);
  });

  it('a line split across chunks is one line; very long lines are judged on their first maxLineBytes', () => {
    const { out, clock, d } = setup({ maxLineBytes: 64 });
    out('split ac');
    out('ross 2 chunks\n');
    const long = 'abcdefghij'.repeat(10);
    out(`${long} tail one\n${long} tail two\n`);
    const s = d.snapshot(clock.now());
    assert.equal(s.output.linesTotal, 3);
    assert.deepEqual(s.output.templates.slice(0, 2), [long.slice(0, 64), 'split across <N> chunks']);
  });

  it('two writers on one pipe: "T T" lines count as T and blank lines are left out of repetition', () => {
    const { out, clock, d } = setup();
    const t = (k: number) => `worker ${k % 2}: polling queue, nothing to do`;
    let text = '';
    for (let k = 0; k < 60; k++) text += k % 5 === 0 ? `${t(k)}${t(k + 1)}\n\n` : `${t(k)}\n`;
    clock.advance(1000);
    out(text);
    const s = d.snapshot(clock.now());
    assert.deepEqual(s.output.templates, ['worker <N>: polling queue, nothing to do']);
    assert.ok(s.output.repetition > 0.95, String(s.output.repetition));
    assert.equal(s.output.cycleLength, 1);
  });

  it('evidence lines are the raw lines, ANSI stripped', () => {
    const { out, clock, d } = setup();
    out('\x1b[31mERROR\x1b[0m code 42\n');
    const s = d.snapshot(clock.now());
    assert.deepEqual(s.output.evidence, ['ERROR code 42']);
    assert.deepEqual(s.output.templates, ['ERROR code <N>']);
  });

  it('repetitive-for: how long output stayed repetitive with nothing new', () => {
    const { second } = setup();
    let s = second(20, (k) => `poll ${k}`);
    for (let i = 1; i <= 6; i++) s = second(20, (k) => `poll ${k}`, i * 20);
    assert.ok(s.output.repetitiveForMs >= 5000, String(s.output.repetitiveForMs));
    s = second(20, (k) => `new thing ${k.toString(36)}y`);
    s = second(20, (k) => `other thing ${k.toString(36)}z`);
    assert.equal(s.output.repetitiveForMs, 0);
  });

  it('CPU: sustained level is the lower quartile; a high stretch survives one dip but not three', () => {
    const { clock, reading, d } = setup();
    const cpu = [100, 100, 10, 100, 100, 100, 100];
    for (const c of cpu) {
      clock.advance(1000);
      reading({ cpuPercent: c });
    }
    let s = d.snapshot(clock.now());
    assert.equal(s.cpu.percent, 100);
    assert.equal(s.cpu.sustainedPercent, 100);
    assert.ok(s.cpu.highForMs >= 6000, `one dip tolerated: ${s.cpu.highForMs}`);
    assert.equal(s.cpu.peakPercent, 100);
    for (const c of [5, 5, 5]) {
      clock.advance(1000);
      reading({ cpuPercent: c });
    }
    s = d.snapshot(clock.now());
    assert.equal(s.cpu.highForMs, 0);
    assert.equal(s.cpu.sustainedPercent, 5);
  });

  it('CPU: no reading yet means unknown, not zero', () => {
    const { clock, reading, d } = setup();
    clock.advance(1000);
    reading({ cpuPercent: null });
    const s = d.snapshot(clock.now());
    assert.equal(s.cpu.percent, null);
    assert.equal(s.cpu.sustainedPercent, null);
    assert.equal(s.cpu.busyPercent, null);
  });

  it('memory: level, peak and least-squares slope', () => {
    const { clock, reading, d } = setup();
    for (let i = 1; i <= 10; i++) {
      clock.advance(1000);
      reading({ rssBytes: i * 40 * 1024 * 1024 });
    }
    clock.advance(1000);
    reading({ rssBytes: 100 * 1024 * 1024 });
    const s = d.snapshot(clock.now());
    assert.equal(s.memory.rssMb, 100);
    assert.equal(s.memory.peakMb, 400);
    const flat = setup();
    for (let i = 1; i <= 5; i++) {
      flat.clock.advance(1000);
      flat.reading({ rssBytes: 50 * 1024 * 1024 });
    }
    assert.equal(flat.d.snapshot(flat.clock.now()).memory.slopeMbPerS, 0);
    const climb = setup();
    for (let i = 1; i <= 5; i++) {
      climb.clock.advance(1000);
      climb.reading({ rssBytes: i * 40 * 1024 * 1024 });
    }
    assert.ok(Math.abs(climb.d.snapshot(climb.clock.now()).memory.slopeMbPerS - 40) < 1e-6);
  });

  it('tree: process count and churn (the first reading is the job itself, not churn)', () => {
    const { clock, reading, d } = setup();
    clock.advance(1000);
    reading({ procs: 3, spawned: 3 });
    for (let i = 0; i < 9; i++) {
      clock.advance(1000);
      reading({ procs: 3, spawned: 20, exited: 20 });
    }
    const s = d.snapshot(clock.now());
    assert.equal(s.tree.procs, 3);
    assert.ok(Math.abs(s.tree.churnPerS - 36) < 1, String(s.tree.churnPerS));
  });

  it('the template table stays bounded when every line is new, and novelty stays high', () => {
    const { second, d } = setup({ maxTemplates: 256 });
    let s = second(1000, (k) => `unique item_${k.toString(36)}q`);
    for (let i = 1; i < 5; i++) s = second(1000, (k) => `unique item_${k.toString(36)}q`, i * 1000);
    assert.ok((d as unknown as { table: { size: number } }).table.size <= 256);
    assert.equal(s.output.novelShare, 1);
  });
});
