// Learned signatures: the hash of a runaway's output cycle must not depend on
// the values that rotate inside it (timestamps, pids, counters, ids) nor on
// where the cycle was first seen from; a similar but different cycle must not
// match; a learned one is flagged at its first full cycle and stopped at the
// second; an allowed one keeps the loop rules quiet.
import { strict as assert } from 'node:assert';
import { leastRotation, matchUnit, signatureOf, type SignatureInputs } from '../../../server/detect/signatures';
import { RULES } from '../../../server/policy/rules';
import { LEARNING_RULES } from '../../../server/shared/protocol/panelDefaults';
import { simulate, type Job } from './simulate';

/** A worker retrying a job whose lookup fails, the error value rotating over `values` (7 lines an attempt). */
function tracebackLoop(opts: { seconds: number; values: string[]; offset?: number; seed?: number; frame?: string; cpu?: number }): Job {
  const seed = opts.seed ?? 1;
  const attempt = (k: number) => {
    const pid = 4000 + seed * 17;
    const ts = `2026-12-0${seed % 9}T1${seed % 10}:0${k % 10}:${10 + (k % 50)}.${100 + ((k * 37) % 900)}Z`;
    const req = ((0x9f8e7d6c + k * 7919 * seed) >>> 0).toString(16).padStart(8, '0') + 'a1';
    return [
      `[${ts}] worker ${pid} attempt ${k} request ${req}`,
      'Traceback (most recent call last):',
      `  File "/srv/app/worker.py", line ${41 + (seed % 3)}, in <module>`,
      '    handle(job)',
      `  File "/srv/app/worker.py", line 17, in ${opts.frame ?? 'handle'}`,
      '    return cache[key]',
      `KeyError: '${opts.values[k % opts.values.length]}'`,
    ].join('\n') + '\n';
  };
  const offset = opts.offset ?? 0;
  return { seconds: opts.seconds, output: (i) => attempt(i + offset), cpu: () => opts.cpu ?? 60 };
}

const VALUES = ['alpha', 'beta', 'gamma'];

function learnedFrom(job: Job): { signature: string; period: number; killedAt: number } {
  const r = simulate(job);
  const kill = r.ticks.find((x) => x.verdict.intended === 'kill');
  assert.ok(kill, 'the first run is stopped by the ordinary rules');
  assert.ok(kill.verdict.learn, 'a stop by a loop rule carries what to learn');
  return { signature: kill.verdict.learn.signature, period: kill.verdict.learn.period, killedAt: kill.s };
}

const learnedInputs = (sig: { signature: string; period: number }, incidentId = 'inc_first'): SignatureInputs => ({
  learned: [{ signature: sig.signature, period: sig.period, incidentId }],
  allowed: [],
});

describe('learned signatures: the hash', () => {
  it('the least rotation agrees with brute force', () => {
    let x = 12345;
    const rnd = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) % 4;
    for (let n = 1; n <= 40; n++) {
      for (let trial = 0; trial < 20; trial++) {
        const s = Array.from({ length: n }, rnd);
        const rot = (k: number) => [...s.slice(k), ...s.slice(0, k)];
        let best = 0;
        for (let k = 1; k < n; k++) if (less(rot(k), rot(best))) best = k;
        assert.deepEqual(rot(leastRotation(s)), rot(best), `n ${n}: ${s.join(',')}`);
      }
    }
  });

  it('is the same from any starting line of the cycle, and differs for another order, another line or another period', () => {
    const cycle = [11, 22, 33, 44, 55, 66];
    const sig = signatureOf(cycle);
    for (let k = 0; k < cycle.length; k++) assert.equal(signatureOf([...cycle.slice(k), ...cycle.slice(0, k)]), sig);
    assert.match(sig, /^p6-[0-9a-f]{16}$/);
    assert.notEqual(signatureOf([11, 22, 44, 33, 55, 66]), sig, 'two lines swapped');
    assert.notEqual(signatureOf([11, 22, 33, 44, 55, 67]), sig, 'one line different');
    assert.notEqual(signatureOf([...cycle, ...cycle]), sig, 'twice the period');
  });

  it('a full cycle is at least 8 lines: one line of a 1-line loop is no evidence', () => {
    assert.deepEqual([1, 2, 3, 7, 8, 12, 300].map(matchUnit), [8, 8, 9, 14, 8, 12, 300]);
  });
});

describe('learned signatures: detector and policy', () => {
  it('the panel offers "Not a runaway" for exactly the rules that learn', () => {
    assert.deepEqual([...LEARNING_RULES].sort(), RULES.filter((r) => r.learnable).map((r) => r.id).sort());
  });

  it('two runs with different timestamps, pids, counters, request ids and a different first line learn the same signature', () => {
    const a = learnedFrom(tracebackLoop({ seconds: 30, values: VALUES, seed: 1 }));
    const b = learnedFrom(tracebackLoop({ seconds: 30, values: VALUES, seed: 5, offset: 1 }));
    assert.equal(a.period, 21, 'three 7-line tracebacks');
    assert.equal(b.signature, a.signature);
  });

  it('the next run showing it is flagged at its first full cycle and stopped at the second, long before the ordinary window', () => {
    const first = learnedFrom(tracebackLoop({ seconds: 30, values: VALUES, seed: 1 }));
    const r = simulate(tracebackLoop({ seconds: 30, values: VALUES, seed: 7, offset: 2 }), {}, 'run-2', {}, undefined, learnedInputs(first));
    // One attempt a second: the 21-line cycle is complete after 3 s, and again after 6 s.
    assert.equal(r.first('alert'), 3);
    assert.equal(r.first('kill'), 6);
    assert.ok(first.killedAt >= 12, `the ordinary rules needed ${first.killedAt} s`);
    const kill = r.ticks.find((x) => x.verdict.intended === 'kill')!.verdict;
    assert.match(kill.reason, /^Known runaway: printing again the 21-line cycle of the runaway stopped in incident inc_first \(learned signature p21-/);
    assert.equal(kill.learn?.signature, first.signature, 'a stop by the learned rule confirms the same signature');
  });

  it('near miss: a similar cycle with one error value different is not the learned one', () => {
    const first = learnedFrom(tracebackLoop({ seconds: 30, values: VALUES }));
    const r = simulate(tracebackLoop({ seconds: 12, values: ['alpha', 'beta', 'delta'] }), {}, 'run-2', {}, undefined, learnedInputs(first));
    assert.ok(r.ticks.every((x) => x.snap.output.learned === null));
    assert.equal(r.first('alert'), null);
  });

  it('near miss: the same traceback from another function, or over two values instead of three, is not the learned one', () => {
    const first = learnedFrom(tracebackLoop({ seconds: 30, values: VALUES }));
    for (const job of [tracebackLoop({ seconds: 12, values: VALUES, frame: 'fetch' }), tracebackLoop({ seconds: 12, values: ['alpha', 'beta'] })]) {
      const r = simulate(job, {}, 'run-2', {}, undefined, learnedInputs(first));
      assert.ok(r.ticks.every((x) => x.snap.output.learned === null));
      assert.equal(r.first('alert'), null);
    }
  });

  it('near miss: part of the cycle (two of its three tracebacks) is not a full cycle', () => {
    const first = learnedFrom(tracebackLoop({ seconds: 30, values: VALUES }));
    const two = tracebackLoop({ seconds: 2, values: VALUES });
    const job: Job = { seconds: 10, output: (i) => (i < 2 ? two.output(i) : `compiling module ${'abcdefghij'[i]}\n`), cpu: () => 60 };
    const r = simulate(job, {}, 'run-2', {}, undefined, learnedInputs(first));
    assert.equal(r.first('alert'), null);
  });

  it('an allowed signature keeps the loop rules quiet for the whole run; the decision says why', () => {
    const first = learnedFrom(tracebackLoop({ seconds: 30, values: VALUES }));
    const allowed: SignatureInputs = { learned: [], allowed: [{ signature: first.signature, period: first.period, incidentId: 'inc_first' }] };
    const r = simulate(tracebackLoop({ seconds: 40, values: VALUES, seed: 3 }), {}, 'run-3', {}, undefined, allowed);
    assert.deepEqual(new Set(r.ticks.map((x) => x.verdict.intended)), new Set(['continue']));
    const cpu = r.last().verdict.rules.find((x) => x.id === 'cpu_loop')!;
    assert.match(cpu.detail, /^Allowed: the output shows the cycle marked "not a runaway" in incident inc_first\./);
  });

  it('near miss: allowing another signature does not keep this loop from being stopped', () => {
    const other = learnedFrom(tracebackLoop({ seconds: 30, values: ['alpha', 'beta', 'delta'] }));
    const allowed: SignatureInputs = { learned: [], allowed: [{ signature: other.signature, period: other.period, incidentId: 'inc_other' }] };
    const r = simulate(tracebackLoop({ seconds: 30, values: VALUES }), {}, 'run-3', {}, undefined, allowed);
    assert.ok(r.first('kill') !== null);
  });

  it('alerts and held-back stops teach nothing: only an enforced stop by a loop rule does', () => {
    const shadow = simulate(tracebackLoop({ seconds: 30, values: VALUES }), { shadowMode: true });
    assert.ok(shadow.ticks.some((x) => x.verdict.intended === 'kill'));
    assert.ok(shadow.ticks.every((x) => !x.verdict.learn));
    const spin = simulate({ seconds: 140, output: () => '', cpu: () => 100 }, { profile: 'agent' });
    assert.ok(spin.ticks.some((x) => x.verdict.intended === 'kill'), 'the silent spin is stopped');
    assert.ok(spin.ticks.every((x) => !x.verdict.learn), 'a silent spin has no output cycle to learn');
  });
});

function less(x: number[], y: number[]): boolean {
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i]! < y[i]!;
  return false;
}
