// Long cycles: a repeating sequence of templates of any period up to 512
// lines across stdout and stderr together, and the near misses that must not
// count (a suite run three times that then ends, an almost-cycle, a log that
// keeps printing new things).
import { strict as assert } from 'node:assert';
import { CycleTracker, MAX_PERIOD } from '../../../server/detect/cycles';
import { actions, lines, simulate, type Job } from './simulate';

/** Feeds a sequence of template keys through a tracker, as the detector does. */
function feed(tracker: CycleTracker, keys: number[], last = new Map<number, number>()): Map<number, number> {
  for (const k of keys) {
    const pos = tracker.position;
    tracker.push(k, last.get(k) ?? -1, 0);
    last.set(k, pos);
  }
  return last;
}

const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);

describe('long cycles: the tracker', () => {
  it('establishes a cycle of distinct templates after it has repeated twice, not before', () => {
    for (const period of [2, 7, 20, 300, MAX_PERIOD]) {
      const t = new CycleTracker();
      const cycle = range(period, 1000);
      const last = feed(t, [...cycle, ...cycle]);
      assert.equal(t.established(), null, `period ${period}: two occurrences are not a loop yet`);
      feed(t, cycle.slice(0, period - 1), last);
      assert.equal(t.established(), null, `period ${period}: one line short of the third occurrence`);
      feed(t, cycle.slice(period - 1), last);
      const f = t.established();
      assert.ok(f, `period ${period}: three whole occurrences`);
      assert.equal(f.period, period);
      assert.equal(f.share, 1);
    }
  });

  it('a period above the maximum is not followed', () => {
    const t = new CycleTracker();
    const cycle = range(MAX_PERIOD + 1);
    feed(t, [...cycle, ...cycle, ...cycle, ...cycle]);
    assert.equal(t.established(), null);
  });

  it('templates that recur inside the cycle do not hide it; the shortest period wins', () => {
    // A B A C D B E ... : A and B appear twice per cycle; the true period is 12.
    const cycle = [1, 2, 1, 3, 4, 2, 5, 6, 1, 7, 8, 9];
    const t = new CycleTracker();
    feed(t, [...cycle, ...cycle, ...cycle, ...cycle]);
    assert.equal(t.established()?.period, 12);
  });

  it('a traceback whose error value rotates over 3 values is one 12-line cycle', () => {
    const tb = (err: number) => [10, 11, 12, err];
    const cycle = [...tb(20), ...tb(21), ...tb(22)];
    const t = new CycleTracker();
    feed(t, [...cycle, ...cycle, ...cycle]);
    assert.equal(t.established()?.period, 12);
    assert.equal(t.established()?.share, 1);
  });

  it('tolerates an odd line out (interleaving) but drops a cycle once it stops repeating', () => {
    const cycle = range(20, 100);
    const t = new CycleTracker();
    const last = feed(t, [...cycle, ...cycle, ...cycle, ...cycle]);
    feed(t, [...cycle.slice(0, 10), 999, ...cycle.slice(11)], last); // one line differs
    assert.equal(t.established()?.period, 20);
    feed(t, range(30, 5000), last); // the job moved on: new lines
    assert.equal(t.established(), null);
  });

  it('near miss: a varied log with recurring templates (no whole cycle) is never established', () => {
    let x = 7;
    const keys = range(20_000).map(() => (x = (x * 1103515245 + 12345) % 2147483648) % 40);
    const t = new CycleTracker();
    feed(t, keys);
    assert.equal(t.established(), null);
  });
});

/** A test run of `n` distinct lines, re-run each time its output is done. */
const suiteLine = (k: number, n: number) => {
  const i = k % n;
  return i === n - 1 ? `${n - 2} passing, 1 failing (${k % 90} ms)` : `  test case_${String.fromCharCode(97 + (i % 26))}${Math.floor(i / 26)} (${k % 50} ms)`;
};

describe('long cycles: detector and policy', () => {
  it('stops an agent re-running a 20-line failing test at high CPU, naming the cycle', () => {
    const job: Job = { seconds: 20, output: (i) => lines(40, i * 40, (k) => suiteLine(k, 20)), cpu: () => 170 };
    const r = simulate(job);
    const kill = r.first('kill');
    // Progress needs a few sampled pairs per template (~4 s here), then the 5 s stop window.
    assert.ok(kill !== null && kill <= 12, `stopped at ${kill}`);
    const v = r.ticks.find((x) => x.verdict.intended === 'kill')!;
    assert.match(v.verdict.reason, /20-line cycle/);
    assert.equal(v.snap.output.cycleLength, 20);
  });

  it('a 300-line cycle across stdout and stderr together is caught too', () => {
    const job: Job = {
      seconds: 40,
      output: (i) => lines(60, i * 60, (k) => (k % 300) % 3 === 0 ? '' : suiteLine(k, 300)).replace(/^\n/gm, ''),
      stderr: (i) => lines(60, i * 60, (k) => ((k % 300) % 3 === 0 ? `warning: step ${(k % 300) / 3}x deprecated` : '')).replace(/^\n/gm, ''),
      cpu: () => 100,
    };
    const r = simulate(job);
    const kill = r.first('kill');
    // 3 occurrences of a 300-line cycle at 120 lines/s = 7.5 s, then the 5 s stop window.
    assert.ok(kill !== null && kill <= 25, `stopped at ${kill}`);
    // Each stream's part of the cycle is its own cycle: stdout carries 200 of the 300 lines.
    assert.equal(r.ticks.find((x) => x.verdict.intended === 'kill')!.snap.output.cycleLength, 200);
  });

  it('a test run whose summary goes to stdout and report to stderr is caught whatever order the pipes are read in', () => {
    // python -m unittest re-run after each "fix": "Attempt N" on stdout, a 13-line report on stderr.
    // The two pipes are read in a varying order, so the merged sequence is not exactly periodic.
    const report = (k: number) =>
      ['test_add ... FAIL', 'test_add_zero ... ok', '======', 'FAIL: test_add (test_calc.CalcTest.test_add)', '------', 'Traceback (most recent call last):',
        '  File "/tmp/x/test_calc.py", line 8, in test_add', '    self.assertEqual(add(2, 3), 5)', 'AssertionError: -1 != 5', '------', `Ran 2 tests in 0.00${k % 9}s`, 'FAILED (failures=1)'];
    const job: Job = {
      seconds: 25,
      output: (i) => lines(3, i * 3, (k) => `Attempt ${k}: patching add() in test_calc.py`),
      stderr: (i) => Array.from({ length: 3 }, (_, j) => report(i * 3 + j).join('\n') + '\n').join(''),
      cpu: () => 120,
    };
    const r = simulate(job);
    const kill = r.first('kill');
    assert.ok(kill !== null && kill <= 20, `stopped at ${kill}`);
  });

  it('near miss: a suite run three times in CI, then the job ends, is never flagged', () => {
    // 3 runs of a 100-line suite at 40 lines/s (2.5 s a run), then the end of the job.
    const job: Job = { seconds: 10, output: (i) => (i < 8 ? lines(40, i * 40, (k) => (k < 300 ? suiteLine(k, 100) : '')).replace(/^\n/gm, '') : ''), cpu: (i) => (i < 8 ? 150 : 0) };
    const r = simulate(job);
    assert.deepEqual([...actions(r)], ['continue'], r.ticks.find((x) => x.verdict.intended !== 'continue')?.verdict.reason);
  });

  it('near miss: the same long run, each run printing two new lines (new test names), is never flagged', () => {
    const job: Job = {
      seconds: 20,
      output: (i) => lines(40, i * 40, (k) => (k % 10 === 5 ? `  new test case_${(k * 2654435761 >>> 0).toString(36)}z` : suiteLine(k, 20))),
      cpu: () => 150,
    };
    const r = simulate(job);
    assert.deepEqual([...actions(r)], ['continue'], r.ticks.find((x) => x.verdict.intended !== 'continue')?.verdict.reason);
  });
});

describe('long cycles: choosing between established periods', () => {
  it('a 10-line traceback whose last line rotates over 3 values is a 30-line cycle, not a 90% 10-line one', () => {
    const tb = (err: number) => [10, 11, 12, 13, 14, 15, 16, 17, 18, err];
    const cycle = [...tb(20), ...tb(21), ...tb(22)];
    const t = new CycleTracker();
    feed(t, [...cycle, ...cycle, ...cycle, ...cycle]);
    assert.deepEqual([t.established()?.period, t.established()?.share], [30, 1]);
  });
});
