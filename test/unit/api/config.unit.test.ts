import { strict as assert } from 'node:assert';
import { ApiConfigError, createApp, startApiServer } from '../../../server/api';
import { readiness } from '../../../server/api/routes/health';
import { Engine } from '../../../server/engine/engine';
import { openStore } from '../../../server/store';
import type { EvidenceStore, StoreHealth } from '../../../server/store/types';

const KEYS = [{ name: 'k', scope: 'admin' as const, key: 'k'.repeat(32) }];

describe('api: configuration and readiness', () => {
  let store: EvidenceStore;
  let engine: Engine;
  before(async () => {
    store = (await openStore({ path: null })).store;
    engine = new Engine({ store });
  });
  after(() => store.close());

  it('refuses to listen anywhere but 127.0.0.1, and bad ports, with a clear message', async () => {
    for (const host of ['0.0.0.0', '::', 'localhost', '192.168.1.5']) {
      await assert.rejects(startApiServer({ engine, keys: KEYS, port: 0, host }), (e: Error) => e instanceof ApiConfigError && /listens on 127\.0\.0\.1 only/.test(e.message));
    }
    await assert.rejects(startApiServer({ engine, keys: KEYS, port: 70000 }), /0 to 65535/);
  });

  it('refuses wildcard or malformed allowed origins', () => {
    assert.throws(() => createApp({ engine, keys: KEYS, port: 1, allowedOrigins: ['*'] }), /no wildcards/);
    assert.throws(() => createApp({ engine, keys: KEYS, port: 1, allowedOrigins: ['localhost:3000'] }), /exact http\(s\) origin/);
  });

  it('readiness reports each check and is not ready when the store cannot save or sampling fails', () => {
    const health = (h: Partial<StoreHealth>): EvidenceStore => ({ ...store, health: () => ({ ...store.health(), ...h }) }) as EvidenceStore;
    const sampler = (s: ReturnType<Engine['samplerHealth']>) => ({ samplerHealth: () => s }) as unknown as Engine;
    const good = sampler({ ok: true, lastTickAt: null, error: null });
    assert.equal(readiness({ store, engine: good }).status, 'ready');
    const unsaved = readiness({ store: health({ writable: false, lastError: 'disk full' }), engine: good });
    assert.equal(unsaved.status, 'not-ready');
    assert.deepEqual(unsaved.checks.store, { ok: false, detail: 'cannot save: disk full' });
    const failing = readiness({ store, engine: sampler({ ok: false, lastTickAt: 1, error: 'EMFILE' }) });
    assert.deepEqual([failing.status, failing.checks.sampler.detail], ['not-ready', 'sampling failed: EMFILE']);
  });
});
