// The policy on its own: rollout modes, what a runaway earns, episode
// bookkeeping, alert back-off, sampled continue records, explanations.
import { strict as assert } from 'node:assert';
import { canaryBucket } from '../../../server/policy/rollout';
import { explainVerdict } from '../../../server/policy/explain';
import { lines, simulate, type Job } from '../detect/simulate';

const loop: Job = {
  seconds: 20,
  output: (i) => lines(200, i * 200, (k) => `[${k}] Processing item ${k % 7} with value 0.${(k * 7919) % 99991}`),
  cpu: () => 98,
};

/** A key whose canary bucket is below/above a percent. */
function keyWithBucket(pred: (b: number) => boolean): string {
  for (let i = 0; ; i++) if (pred(canaryBucket(`run-${i}`))) return `run-${i}`;
}

describe('policy: rollout', () => {
  it('shadow mode decides and records but never stops, and says what it would have done', () => {
    const r = simulate(loop, { shadowMode: true });
    assert.equal(r.first('kill', 'action'), null);
    const held = r.ticks.find((x) => x.verdict.intended === 'kill')!.verdict;
    assert.equal(held.action, 'continue');
    assert.equal(held.enforced, false);
    assert.equal(held.record, true);
    assert.match(held.reason, /^Shadow mode: would have stopped the job\. CPU loop: 98% CPU for \d+ s while repeating one line/);
    const explained = explainVerdict(held, r.ticks.find((x) => x.verdict === held)!.snap);
    assert.match(explained[0]!, /^FlowForge would have stopped this job \(shadow mode, nothing was stopped\): CPU loop — 98% CPU/);
  });

  it('memory limits obey shadow mode too', () => {
    const r = simulate({ seconds: 5, output: () => '', cpu: () => 5, rssMb: (i) => 100 * i }, { maxMemoryMb: 200, shadowMode: true });
    assert.equal(r.first('kill', 'action'), null);
    assert.equal(r.first('kill', 'intended'), 3);
  });

  it('canary is stable per run: 0% never stops, 100% always does, in between the bucket decides', () => {
    for (let i = 0; i < 20; i++) {
      const key = `run-${i}`;
      assert.equal(canaryBucket(key), canaryBucket(key));
      assert.equal(simulate(loop, { rollout: 'canary', canaryPercent: 0 }, key).first('kill', 'action'), null);
      assert.notEqual(simulate(loop, { rollout: 'canary', canaryPercent: 100 }, key).first('kill', 'action'), null);
    }
    const low = keyWithBucket((b) => b < 50);
    const high = keyWithBucket((b) => b >= 50);
    const inside = simulate(loop, { rollout: 'canary', canaryPercent: 50 }, low);
    const outside = simulate(loop, { rollout: 'canary', canaryPercent: 50 }, high);
    assert.notEqual(inside.first('kill', 'action'), null);
    assert.equal(outside.first('kill', 'action'), null);
    const v = outside.ticks.find((x) => x.verdict.intended === 'kill')!.verdict;
    assert.equal(v.canaryBucket, canaryBucket(high));
    assert.match(v.reason, new RegExp(`^Canary mode \\(50% of runs, this run's bucket ${canaryBucket(high)}\\): not enforced here`));
  });

  it('a runaway earns what the task asks for: restart, or only an alert', () => {
    const restart = simulate(loop, { onRunaway: 'restart' });
    assert.equal(restart.first('kill', 'action'), null);
    assert.notEqual(restart.first('restart', 'action'), null);
    const alertOnly = simulate(loop, { onRunaway: 'alert' });
    assert.equal(alertOnly.first('kill', 'intended'), null);
    assert.notEqual(alertOnly.first('alert', 'action'), null);
  });
});

describe('policy: episodes, notifications, records', () => {
  const retryStorm = (seconds: number, stormUntil = seconds): Job => ({
    seconds,
    output: (i) =>
      i < stormUntil ? lines(19, i * 19, (k) => `ERROR connect ECONNREFUSED 127.0.0.1:5432 (attempt ${k})`) : `idle ${i}\n`,
    cpu: () => 2,
  });

  it('one episode: open once, updated while it lasts, closed after a calm spell', () => {
    const r = simulate(retryStorm(80, 50));
    const phases = r.ticks.map((x) => x.verdict.episode?.phase ?? '-');
    assert.equal(phases.filter((p) => p === 'open').length, 1);
    assert.equal(phases.filter((p) => p === 'close').length, 1);
    const open = phases.indexOf('open');
    const close = phases.indexOf('close');
    assert.ok(phases.slice(open + 1, close).every((p) => p === 'update' || p === '-'));
    assert.equal(r.ticks[open]!.verdict.episode?.kind, 'output_loop');
    assert.equal(r.ticks[close]!.verdict.record, true);
  });

  it('a lasting alert is told at the start and then at growing intervals', () => {
    const r = simulate(retryStorm(200));
    const told = r.ticks.filter((x) => x.verdict.notify).map((x) => x.s);
    assert.ok(told.length >= 3 && told.length <= 4, `notified at ${told}`);
    const gaps = told.slice(1).map((t, i) => t - told[i]!);
    assert.deepEqual(gaps.slice(0, 2), [30, 60]);
  });

  it('continue verdicts are recorded sampled: the first, then one per 30 s', () => {
    const r = simulate({ seconds: 95, output: (i) => `heartbeat ${i}\n`, cpu: () => 1 });
    assert.deepEqual(r.ticks.filter((x) => x.verdict.record).map((x) => x.s), [1, 31, 61, 91]);
  });

  it('every decision carries all rules, every signal with its threshold, templates and evidence', () => {
    const r = simulate(loop);
    const v = r.ticks.find((x) => x.verdict.action === 'kill')!.verdict;
    assert.deepEqual(v.rules.map((x) => x.id).sort(), ['cpu_loop', 'learned_loop', 'memory_climb', 'memory_exhaust', 'output_loop', 'process_churn', 'process_limit', 'silent_spin']);
    assert.equal(v.rules[0]!.fired, true);
    const names = v.signals.map((s) => s.name);
    for (const n of ['cpu', 'repetition', 'novelty', 'progress', 'rate', 'silence', 'memory', 'memory_slope', 'procs', 'churn']) assert.ok(names.includes(n), n);
    const cpu = v.signals.find((s) => s.name === 'cpu')!;
    assert.deepEqual([cpu.threshold, cpu.op, cpu.breached], [30, '>=', true]);
    assert.match(v.rules[0]!.detail, /cpu 98% ≥ 30%, repetition 1\.00 ≥ 0\.80, novelty 0% ≤ 5%, progress 0\.20 ≤ 0\.50, rate 200\/s ≥ 2\/s; progress: only a counter moves/);
    assert.equal(v.templates[0], '[<N>] Processing item <N> with value <N>');
    assert.match(v.evidence[0]!, /^\[\d+\] Processing item \d with value 0\.\d+$/);
  });

  it('redacts secrets in evidence lines before they leave the policy', () => {
    const r = simulate({ ...loop, output: (i) => lines(200, i * 200, () => 'retrying with Authorization: Bearer abcdef0123456789abcdef0123456789') });
    const v = r.ticks.find((x) => x.verdict.action === 'kill')!.verdict;
    assert.ok(v.evidence.length > 0);
    for (const l of [...v.evidence, ...v.templates]) assert.ok(!l.includes('abcdef0123456789abcdef'), l);
  });

  it('explains a kill in plain words with the repeated line', () => {
    const r = simulate(loop);
    const tick = r.ticks.find((x) => x.verdict.action === 'kill')!;
    const text = explainVerdict(tick.verdict, tick.snap);
    assert.match(text[0]!, /^FlowForge stopped this job: CPU loop — 98% CPU for \d+ s while repeating one line \(no new output, no progress\)\.$/);
    assert.equal(text[1], '  repeated: "[<N>] Processing item <N> with value <N>"');
    assert.match(text.join('\n'), /progress: only a counter moves/);
    assert.match(text.join('\n'), /e\.g\.: \[\d+\] Processing item/);
  });
});
