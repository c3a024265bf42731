// The extension's admin key: a fresh one per backend, never stored; the key
// earlier versions kept in SecretStorage is deleted, and a keyring that fails
// costs only a log line. The SecretStorage seam is an in-memory map (VS Code's
// own storage only runs inside VS Code; the e2e suite runs the real one).
import { strict as assert } from 'node:assert';
import { forgetStoredApiKey, sessionApiKey, STORED_API_KEY_SECRET } from '../../../src/backend/apiKey';
import { MIN_KEY_LENGTH } from '../../../server/shared/apiKeyGen';
import type { Logger } from '../../../server/util/logger';

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  const noop = () => undefined;
  return { warnings, debug: noop, info: noop, warn: (m: string) => warnings.push(m), error: noop } as unknown as Logger & { warnings: string[] };
}

describe('extension admin key', () => {
  it('is new for every backend and long enough', async () => {
    const keys = new Set(await Promise.all(Array.from({ length: 20 }, () => sessionApiKey())));
    assert.equal(keys.size, 20);
    for (const k of keys) assert.ok(k.length >= MIN_KEY_LENGTH && !/\s/.test(k), k);
  });

  it('deletes the key an earlier version stored', async () => {
    const stored = new Map([[STORED_API_KEY_SECRET, 'ffk_old_key_from_an_earlier_version'], ['other', 'kept']]);
    const logger = recordingLogger();
    await forgetStoredApiKey({ delete: async (k) => void stored.delete(k) }, logger);
    assert.deepEqual([...stored.keys()], ['other']);
    assert.deepEqual(logger.warnings, []);
  });

  it('a keyring that refuses is logged, not thrown', async () => {
    const logger = recordingLogger();
    await forgetStoredApiKey({ delete: () => Promise.reject(new Error('no keyring')) }, logger);
    assert.equal(logger.warnings.length, 1);
    assert.match(logger.warnings[0]!, /could not delete .*no keyring/);
  });
});
