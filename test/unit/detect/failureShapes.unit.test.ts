// What says "something failed": failure words, and the shapes of a crash
// report (exception class names, stack frames of Python, JavaScript, Java and
// Go) whatever their words; a cycle that fails somewhere fails every time
// round. A traceback retry loop (real-tools case RT02) is then a failing loop
// whose CPU, half the busy bar, is enough to stop it; near misses: the same
// loop at a poll's CPU, and a cycle that never fails.
import { strict as assert } from 'node:assert';
import { isFailing } from '../../../server/detect/templates';
import { simulate, type Job } from './simulate';

describe('failure shapes', () => {
  it('exception class names and stack frames count as failing', () => {
    for (const t of [
      "KeyError: 'alpha'",
      'TypeError: Cannot read properties of undefined (reading <N>)',
      'java.lang.NullPointerException: Cannot invoke "String.length()"',
      'ConnectionResetError: [Errno <N>] Connection reset by peer',
      'raise ValueError(msg)',
      'File "/srv/app/worker.py", line <N>, in load',
      'File "<string>", line <N>',
      'at load (/srv/app/worker.js:<N>:<N>)',
      'at Object.<anonymous> (/srv/app/worker.js:<N>:<N>)',
      'at com.example.Worker.run(Worker.java:<N>)',
      'goroutine <N> [running]:',
      '/srv/app/main.go:<N> +<HEX>',
      "thread 'main' panicked at src/main.rs:<N>:<N>:",
    ])
      assert.ok(isFailing(t), t);
  });

  it('near misses: names and lines that only look like them do not', () => {
    for (const t of [
      'ErrorBoundary mounted',
      'Exceptional results: <N> of <N>',
      'user_error_count=<N>',
      'processed file "a.py" (<N> lines)',
      'at <N>:<N> the build finished, <N> files',
      'compiled main.go',
      'epoch <N>/<N> loss <N>',
      'GET /health HTTP/<N>.<N>" <N> -',
    ])
      assert.ok(!isFailing(t), t);
  });
});

/** Python 3.11's print_exc of a KeyError three frames deep (10 lines), the key rotating over 3 values. */
function tracebackLoop(opts: { seconds: number; perSecond: number; cpu: number; keys?: string[]; fails?: boolean }): Job {
  const keys = opts.keys ?? ['alpha', 'beta', 'gamma'];
  const attempt = (k: number) =>
    opts.fails === false
      ? [
          `checking shard ${keys[k % 3]}`,
          '  reading index',
          '  comparing entries',
          '  no changes',
          `shard ${keys[k % 3]} unchanged`,
          '',
        ].join('\n')
      : [
          'Traceback (most recent call last):',
          '  File "/srv/app/worker.py", line 23, in <module>',
          '    run_job(i)',
          '  File "/srv/app/worker.py", line 17, in run_job',
          '    return load({}, KEYS[i % 3])',
          '           ^^^^^^^^^^^^^^^^^^^^^',
          '  File "/srv/app/worker.py", line 10, in load',
          '    return settings[key]',
          '           ~~~~~~~~^^^^^',
          `KeyError: '${keys[k % 3]}'`,
          '',
        ].join('\n');
  return {
    seconds: opts.seconds,
    output: () => '',
    stderr: (i) => Array.from({ length: opts.perSecond }, (_, j) => attempt(i * opts.perSecond + j)).join(''),
    cpu: () => opts.cpu,
  };
}

describe('a traceback retry loop', () => {
  it('its whole cycle counts as failing, not only the error line', () => {
    const r = simulate(tracebackLoop({ seconds: 10, perSecond: 20, cpu: 20 }));
    const last = r.last().snap;
    assert.equal(last.output.cycleLength, 30);
    assert.ok(last.output.failingShare >= 0.9, `failing ${last.output.failingShare}`);
  });

  it('at 20 % CPU (below the 30 % bar, as on a loaded machine) it is stopped as a CPU loop within 20 s', () => {
    const r = simulate(tracebackLoop({ seconds: 25, perSecond: 20, cpu: 20 }));
    const stop = r.first('kill');
    assert.ok(stop !== null && stop <= 20, `stopped at ${stop} s`);
    const v = r.ticks.find((x) => x.verdict.intended === 'kill')!.verdict;
    assert.deepEqual(v.findings.map((f) => f.rule), ['cpu_loop']);
    assert.match(v.reason, /failing and retrying at 20% CPU/);
  });

  it('near miss: the same loop at a poll’s CPU (5 %) is only alerted, as a retry storm', () => {
    const r = simulate(tracebackLoop({ seconds: 25, perSecond: 20, cpu: 5 }));
    assert.equal(r.first('kill'), null);
    assert.ok((r.first('alert') ?? 99) <= 20);
  });

  it('near miss: a cycle that never fails at the same CPU and rate is left alone', () => {
    const r = simulate(tracebackLoop({ seconds: 25, perSecond: 4, cpu: 20, fails: false }));
    assert.ok(r.ticks.every((x) => x.snap.output.failingShare === 0));
    assert.deepEqual(new Set(r.ticks.map((x) => x.verdict.intended)), new Set(['continue']));
  });
});
