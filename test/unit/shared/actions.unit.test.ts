// One severity scale for every action: the policy, its episodes and the
// engine's incidents all rank by it, and the protocol's Action enum is it.
import { strict as assert } from 'node:assert';
import { ACTION_SCALE, isStop, severity } from '../../../server/shared/protocol/actions';
import { Action } from '../../../server/shared/protocol/domain';
import { Episodes } from '../../../server/policy/episodes';

describe('shared/actions: the severity scale', () => {
  it('orders continue < alert < nudge < block < restart < kill, and the protocol enum is the scale', () => {
    assert.deepEqual([...Action.options], [...ACTION_SCALE]);
    const ranked = [...Action.options].sort((a, b) => severity(a) - severity(b));
    assert.deepEqual(ranked, ['continue', 'alert', 'nudge', 'block', 'restart', 'kill']);
    assert.ok(severity('kill') > severity('restart'));
  });

  it('stopping actions are restart and above', () => {
    assert.deepEqual(ACTION_SCALE.filter(isStop), ['restart', 'kill']);
  });

  it('an episode escalating from an alert to a stop is news (notified), staying at the same level is not', () => {
    const ep = new Episodes();
    const rule = { kind: 'cpu_loop', title: 'CPU loop' };
    assert.equal(ep.step(0, 'alert', rule).notify, true);
    assert.equal(ep.step(1000, 'alert', rule).notify, false);
    const up = ep.step(2000, 'kill', { kind: 'memory_limit', title: 'Memory limit' });
    assert.equal(up.notify, true);
    assert.equal(up.episode?.title, 'Memory limit');
    assert.equal(ep.step(3000, 'alert', rule).notify, false, 'a milder action is not an escalation');
  });
});
