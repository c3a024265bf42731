import { strict as assert } from 'node:assert';
import { numberFlag, parse, selfCommand, UsageError } from '../../../server/util/args';

describe('cli/args', () => {
  it('splits our flags from the job command at --, and names a bad flag', () => {
    const { values, rest } = parse(['--grace-ms', '500', '--', 'python3', '--grace-ms', 'x'], { 'grace-ms': { type: 'string' } });
    assert.equal(values['grace-ms'], '500');
    assert.deepEqual(rest, ['python3', '--grace-ms', 'x']);
    assert.throws(() => parse(['--no-such-flag'], {}), (e: unknown) => e instanceof UsageError && /no-such-flag/.test(e.message));
  });

  it('checks numbers against their range with a message naming the flag', () => {
    assert.equal(numberFlag({ n: '7' }, 'n', { min: 1, max: 10, integer: true }), 7);
    assert.throws(() => numberFlag({ n: 'seven' }, 'n', { min: 1, max: 10 }), /--n/);
    assert.throws(() => numberFlag({ n: '0' }, 'n', { min: 1, max: 10 }), /--n/);
  });

  it('hints `npx flowforge` under npm, where the bare name is not on PATH', () => {
    assert.equal(selfCommand({ npm_execpath: '/usr/lib/node_modules/npm/bin/npm-cli.js' }), 'npx flowforge');
    assert.equal(selfCommand({}), 'flowforge');
  });
});
