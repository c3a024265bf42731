// The reference corpus, recorded on this (shared, busy) machine and replayed
// through Detector + PolicyEngine with a fake clock: every runaway is stopped
// or flagged in time, no healthy job is stopped, and healthy jobs raise at most
// two alerts in total (judged on recordings: a replay is deterministic, a live
// run on a loaded machine is not).
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readTrace } from '../../../server/bench/traceRecorder';
import type { PolicyOverrides } from '../../../server/policy/types';
import { replay } from './replay';

const DIR = join(__dirname, '../../fixtures/traces');

interface Expectation {
  id: string;
  trace: string;
  overrides: PolicyOverrides;
  expect: 'intervene' | 'flag' | 'clean';
  within_s?: number;
}

const { cases } = JSON.parse(readFileSync(join(DIR, 'expectations.json'), 'utf8')) as { cases: Expectation[] };

describe('reference corpus, replayed from recordings', function () {
  this.timeout(60_000);
  let cleanAlerts = 0;

  for (const c of cases) {
    const file = join(DIR, `${c.trace}.json.gz`);
    it(`${c.id}: ${c.expect}${c.within_s ? ` within ${c.within_s} s` : ''}`, function () {
      if (!existsSync(file)) this.skip();
      const r = replay(readTrace(file), c.overrides, `run-${c.id}`);
      const stopped = r.ticks.find((x) => x.verdict.action === 'kill' || x.verdict.action === 'restart');
      const flagged = r.ticks.find((x) => x.verdict.intended !== 'continue');
      const why = (stopped ?? flagged)?.verdict.reason ?? 'nothing fired';
      if (c.expect === 'intervene') {
        assert.ok(stopped && stopped.s <= c.within_s!, `stopped at ${stopped?.s ?? 'never'}: ${why}`);
      } else if (c.expect === 'flag') {
        assert.ok(flagged && flagged.s <= c.within_s!, `flagged at ${flagged?.s ?? 'never'}: ${why}`);
      } else {
        assert.equal(stopped, undefined, `stopped at ${stopped?.s}: ${why}`);
        cleanAlerts += r.ticks.filter((x) => x.verdict.notify && x.verdict.intended === 'alert').length;
      }
    });
  }

  it('healthy jobs raise at most 2 alerts in total', () => {
    assert.ok(cleanAlerts <= 2, `${cleanAlerts} alerts`);
  });
});
