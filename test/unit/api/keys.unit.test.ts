import { strict as assert } from 'node:assert';
import { AuthThrottle } from '../../../server/api/authThrottle';
import { bearerToken, keyFingerprint, KeyRing, ApiKeyError } from '../../../server/api/keys';
import { generateApiKey } from '../../../server/shared/apiKeyGen';
import { FakeClock } from '../../../server/util/clock';

describe('api keys', () => {
  const admin = generateApiKey();
  const read = generateApiKey();
  const ring = new KeyRing([
    { name: 'extension', scope: 'admin', key: admin },
    { name: 'dashboard', scope: 'read', key: read },
  ]);

  it('finds the principal of each key, never the key itself', () => {
    assert.deepEqual(ring.verify(admin), { name: 'extension', scope: 'admin', actor: 'api:extension' });
    assert.equal(ring.verify(read)?.scope, 'read');
    assert.equal(JSON.stringify(ring.verify(admin)).includes(admin), false);
  });

  it('rejects wrong keys of any length, prefixes and near misses', () => {
    for (const wrong of ['', 'x', admin.slice(0, -1), admin + 'x', admin.toUpperCase(), `${admin} `, 'a'.repeat(10_000)]) {
      assert.equal(ring.verify(wrong), null, `accepted ${wrong.slice(0, 20)}`);
    }
  });

  it('refuses weak, duplicate or badly named keys with a message saying what to fix', () => {
    assert.throws(() => new KeyRing([]), ApiKeyError);
    assert.throws(() => new KeyRing([{ name: 'a', scope: 'admin', key: 'short' }]), /at least 16 characters/);
    assert.throws(() => new KeyRing([{ name: 'bad name', scope: 'admin', key: admin }]), /name 'bad name'/);
    assert.throws(
      () => new KeyRing([{ name: 'a', scope: 'admin', key: admin }, { name: 'a', scope: 'read', key: read }]),
      /two API keys are named 'a'/,
    );
    assert.throws(
      () => new KeyRing([{ name: 'a', scope: 'admin', key: admin }, { name: 'b', scope: 'read', key: admin }]),
      /reuses the secret/,
    );
  });

  it('generates distinct, long keys', () => {
    const keys = new Set(Array.from({ length: 50 }, generateApiKey));
    assert.equal(keys.size, 50);
    for (const k of keys) assert.match(k, /^ffk_[A-Za-z0-9_-]{43}$/);
  });

  it('parses Bearer headers: absent → null, malformed → empty', () => {
    assert.equal(bearerToken(undefined), null);
    assert.equal(bearerToken('Bearer abc'), 'abc');
    assert.equal(bearerToken('bearer   abc'), 'abc');
    assert.equal(bearerToken('Basic abc'), '');
    assert.equal(bearerToken('Bearer'), '');
    assert.equal(bearerToken('Bearer a b'), '');
  });

  it('fingerprints are short and do not contain the key', () => {
    assert.equal(keyFingerprint(null), 'none');
    assert.equal(keyFingerprint(admin).length, 8);
    assert.notEqual(keyFingerprint(admin), keyFingerprint(read));
  });
});

describe('auth throttle', () => {
  const settings = { maxFailures: 3, addressMaxFailures: 5, windowMs: 10_000, blockMs: 30_000, maxEntries: 100 };

  it('blocks a client bucket after maxFailures, with a retry time, until the block ends', () => {
    const clock = new FakeClock();
    const t = new AuthThrottle(clock, settings);
    assert.equal(t.fail('1.1.1.1', 'aa'), 0);
    assert.equal(t.fail('1.1.1.1', 'aa'), 0);
    assert.equal(t.fail('1.1.1.1', 'aa'), 30_000);
    assert.equal(t.retryAfter('1.1.1.1', 'aa'), 30_000);
    assert.equal(t.retryAfter('1.1.1.1', 'bb'), 0, 'another key from the same address is not blocked yet');
    clock.advance(29_000);
    assert.equal(t.retryAfter('1.1.1.1', 'aa'), 1000);
    clock.advance(1000);
    assert.equal(t.retryAfter('1.1.1.1', 'aa'), 0);
  });

  it('blocks the whole address when an attacker varies the key', () => {
    const t = new AuthThrottle(new FakeClock(), settings);
    for (let i = 0; i < 4; i++) assert.equal(t.fail('2.2.2.2', `k${i}`), 0);
    assert.ok(t.fail('2.2.2.2', 'k4') > 0);
    assert.ok(t.retryAfter('2.2.2.2', 'a-valid-key') > 0, 'any other key from a blocked address waits (the authenticator checks the key before asking)');
    assert.equal(t.retryAfter('3.3.3.3', 'k0'), 0);
  });

  it('counts per window: failures spread out slowly never block', () => {
    const clock = new FakeClock();
    const t = new AuthThrottle(clock, settings);
    for (let i = 0; i < 20; i++) {
      assert.equal(t.fail('4.4.4.4', 'aa'), 0, `failure ${i}`);
      if (i % 2 === 1) clock.advance(10_000);
    }
  });

  it('keeps memory bounded under a flood of distinct clients', () => {
    const t = new AuthThrottle(new FakeClock(), settings);
    for (let i = 0; i < 5000; i++) t.fail(`10.0.${i >> 8}.${i & 255}`, `k${i}`);
    assert.ok(t.entries <= 2 * settings.maxEntries, `${t.entries} entries`);
  });
});
