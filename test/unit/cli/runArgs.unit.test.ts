// `flowforge run` flags: the API is opt-in.
import { strict as assert } from 'node:assert';
import { parseRunArgs, type RunArgs } from '../../../server/cli/runCommand';
import { UsageError } from '../../../server/util/args';

const parsed = (argv: string[]) => parseRunArgs([...argv, '--', 'true']) as RunArgs;

describe('flowforge run flags', () => {
  it('serves no API unless asked', () => {
    assert.equal(parsed([]).apiPort, null);
    assert.equal(parsed(['--no-api']).apiPort, null, '--no-api stays accepted');
  });

  it('--api serves on any free port, --api-port N on N', () => {
    assert.equal(parsed(['--api']).apiPort, 0);
    assert.equal(parsed(['--api-port', '7777']).apiPort, 7777);
    assert.equal(parsed(['--api', '--api-port', '0']).apiPort, 0);
  });

  it('refuses --no-api together with --api or --api-port', () => {
    assert.throws(() => parsed(['--api', '--no-api']), (e: Error) => e instanceof UsageError && /--api and --no-api/.test(e.message));
    assert.throws(() => parsed(['--api-port', '1', '--no-api']), (e: Error) => e instanceof UsageError && /--api-port and --no-api/.test(e.message));
  });
});
