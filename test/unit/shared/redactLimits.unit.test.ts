import assert from 'node:assert/strict';
import { capLines, cutMarker, LINE_CAP, redact, RedactionBudget, redactUncapped, REDACTED } from '../../../server/shared/redact';

// The bounds that keep redaction from stalling the event loop: a per-line cap
// with a visible marker, and a time budget per flush. (Its speed on
// pathological lines is measured by `npm run bench -- redact`, not here.)
describe('redaction bounds', () => {
  describe('per-line cap', () => {
    it('cuts a line longer than the cap and says how much it cut; short lines and other lines stay whole', () => {
      const long = 'word '.repeat(LINE_CAP); // 5 × LINE_CAP characters
      const out = capLines(`first\n${long}\nlast`);
      const [first, cut, last] = out.split('\n');
      assert.equal(first, 'first');
      assert.equal(last, 'last');
      assert.ok(cut!.length <= LINE_CAP + cutMarker(long.length).length, `${cut!.length}`);
      const cutChars = Number(/\[… (\d+) characters cut\]$/.exec(cut!)![1]);
      assert.equal(cut!.length - cutMarker(cutChars).length + cutChars, long.length, 'kept + cut = the whole line');
    });

    it('does not split a token at the cut, so a secret there is not left half-visible', () => {
      const secret = 'Zm9vYmFyQmF6UXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWprbA';
      const line = `${'x '.repeat((LINE_CAP - 20) / 2)}${secret} tail`;
      const out = redact(line);
      assert.ok(!out.includes(secret.slice(0, 12)), 'a piece of the secret survived the cut');
      assert.match(out, /characters cut\]$/);
    });

    it('keeps a secret before the cut redacted', () => {
      const out = redact(`password=hunter2hunter2 ${'y'.repeat(LINE_CAP * 2)}`);
      assert.ok(out.startsWith(`password=${REDACTED} `));
      assert.ok(!out.includes('hunter2'));
    });

    it('stays idempotent on pathological lines and leaves a harmless one unchanged', () => {
      const shapes = ['a_', 'a.', 'a=', 'key=', 'token="', 'pwd={', '--token ', '-p', 'eyJ-', 'sk-', 'a://b:', 'bearer ', 'h:1:d:u:'];
      for (const s of shapes) {
        const line = s.repeat(Math.ceil(65536 / s.length)).slice(0, 65536);
        const out = redactUncapped(line);
        assert.equal(redactUncapped(out), out, `not idempotent on ${s}`);
      }
      assert.equal(redactUncapped('a_'.repeat(32768)), 'a_'.repeat(32768));
    });
  });

  describe('time budget per flush', () => {
    it('redacts until the budget is spent, then withholds and counts what it withheld', () => {
      let t = 0;
      const budget = new RedactionBudget(15, () => (t += 5)); // each redaction "takes" 5 ms
      assert.equal(budget.redact('token=abc123'), `token=${REDACTED}`); // spent 5
      assert.equal(budget.redact('b'), 'b'); // 10
      assert.equal(budget.redact('c'), 'c'); // 15
      assert.equal(budget.redact('password=hunter2'), null);
      assert.equal(budget.redact('more'), null);
      assert.equal(budget.withheldChars, 'password=hunter2'.length + 4);
    });
  });
});
