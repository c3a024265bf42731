// The workspace's protection is a policy input beside the rollout: off, a stop
// the rules earned becomes an alert, and the verdict says why.
import { strict as assert } from 'node:assert';
import { explainVerdict } from '../../../server/policy/explain';
import { PolicyEngine } from '../../../server/policy/policyEngine';
import { enforce } from '../../../server/policy/rollout';
import { lines, simulate, type Job } from '../detect/simulate';

const loop: Job = {
  seconds: 20,
  output: (i) => lines(200, i * 200, (k) => `[${k}] Processing item ${k % 7} with value 0.${(k * 7919) % 99991}`),
  cpu: () => 98,
};

/** The same snapshots judged again by a fresh policy, with protection as `protectionAt(second)` says. */
function rejudge(overrides: Parameters<typeof simulate>[1], protectionAt: (s: number) => boolean) {
  const sim = simulate(loop, overrides);
  const policy = new PolicyEngine(sim.settings, 'run-test');
  return sim.ticks.map((t) => ({ s: t.s, snap: t.snap, verdict: policy.evaluate(t.snap, { protection: protectionAt(t.s) }) }));
}

describe('policy: protection off', () => {
  it('turns an earned kill into an alert, says so in the reason and the explanation', () => {
    const ticks = rejudge({}, () => false);
    assert.ok(!ticks.some((t) => t.verdict.action === 'kill'), 'an unprotected job was stopped');
    const held = ticks.find((t) => t.verdict.intended === 'kill')!;
    assert.equal(held.verdict.action, 'alert');
    assert.equal(held.verdict.enforced, false);
    assert.equal(held.verdict.heldBy, 'protection');
    assert.match(held.verdict.reason, /^CPU loop: .+ \(not acted on: protection is off for this workspace\)$/);
    const explained = explainVerdict(held.verdict, held.snap);
    assert.match(explained[0]!, /^FlowForge would have stopped this job \(protection is off for this workspace, nothing was stopped\): CPU loop — /);
  });

  it('acts again as soon as protection is back on', () => {
    const ticks = rejudge({}, (s) => s >= 15);
    const firstKill = ticks.find((t) => t.verdict.action === 'kill');
    assert.ok(firstKill, 'never stopped after protection came back');
    assert.ok(firstKill.s >= 15, `stopped at ${firstKill.s} s, while protection was off`);
    assert.equal(firstKill.verdict.heldBy, null);
    assert.ok(ticks.some((t) => t.s < 15 && t.verdict.heldBy === 'protection'));
  });

  it('a restart is held back the same way; shadow mode still wins over it', () => {
    const restart = rejudge({ onRunaway: 'restart' }, () => false).find((t) => t.verdict.intended === 'restart')!.verdict;
    assert.deepEqual([restart.action, restart.enforced, restart.heldBy], ['alert', false, 'protection']);
    const shadow = rejudge({ shadowMode: true }, () => false).find((t) => t.verdict.intended === 'kill')!.verdict;
    assert.deepEqual([shadow.action, shadow.enforced, shadow.heldBy], ['continue', false, 'shadow']);
    assert.match(shadow.reason, /^Shadow mode: would have stopped the job\. /);
  });

  it('alerts and continues are never touched', () => {
    const rollout = { mode: 'enforce' as const, canaryPercent: 100 };
    for (const a of ['continue', 'alert'] as const) assert.deepEqual(enforce(a, { rollout, bucket: 0, protection: false }), { action: a, enforced: true, heldBy: null });
  });
});
