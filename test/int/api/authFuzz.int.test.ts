// Authentication under hostile load, with the default throttle: a flood of
// wrong keys never locks the owner of the valid key out, and random keys and
// bodies never make the API fail (5xx).
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { expectProblem, KEYS, useTestApi } from './harness';

const REFUSED = new Set([401, 403, 429]);

describe('api: auth with the default throttle', function () {
  const ctx = useTestApi({}, 'each');

  it('50 wrong keys from 127.0.0.1 do not lock the valid key out; the wrong ones get 429', async () => {
    for (let i = 0; i < 50; i++) await ctx.api.get('/v1/runs', { key: null, headers: { authorization: `Bearer wrong-key-${i}-0000000000` } });
    const wrong = await ctx.api.get('/v1/runs', { key: null, headers: { authorization: 'Bearer wrong-key-x-0000000000' } });
    expectProblem(wrong, 429);
    assert.equal((await ctx.api.get('/v1/runs')).status, 200, 'the admin key was refused after a flood of wrong keys');
    assert.equal((await ctx.api.get('/v1/runs', { key: 'read' })).status, 200, 'the read key was refused after a flood of wrong keys');
    // A blocked client stays blocked for wrong keys even after a success.
    expectProblem(await ctx.api.get('/v1/runs', { key: null, headers: { authorization: 'Bearer wrong-key-x-0000000000' } }), 429);
  });

  it('1,000 fuzzed requests with random keys and bodies: no 5xx, the valid key never refused', async function () {
    this.timeout(240_000);
    const valid = KEYS.admin;
    const keyArb = fc.oneof(
      { arbitrary: fc.constant<string | null>(valid), weight: 4 },
      fc.constant<string | null>(null),
      fc.string({ maxLength: 80 }),
      fc.stringMatching(/^ffk_[A-Za-z0-9_-]{43}$/),
      fc.nat({ max: valid.length - 1 }).map((n) => valid.slice(0, n)),
      fc.nat({ max: valid.length - 1 }).map((n) => valid.slice(0, n) + (valid[n] === 'A' ? 'B' : 'A') + valid.slice(n + 1)),
      fc.constant(valid + ' '),
    );
    const headerArb = fc.oneof(
      keyArb.map((k) => (k === null ? undefined : `Bearer ${k}`)),
      fc.string({ maxLength: 60 }).map((s) => s.replace(/[^\x20-\x7e]/g, '')),
      keyArb.map((k) => `bearer   ${k ?? ''}`),
    );
    const reads = ['/v1/runs', '/v1/incidents', '/v1/timeline', '/v1/worker/lifecycle', '/v1/runs/run_nope', '/v1/metrics'];
    const writes = ['/v1/runs/run_nope/signal', '/v1/runs/run_nope/input', '/v1/process/kill', '/v1/watch', '/v1/integrations/workspaces/register'];
    const reqArb = fc.oneof(
      fc.record({ method: fc.constant('GET'), path: fc.constantFrom(...reads), body: fc.constant(undefined) }),
      fc.record({
        method: fc.constantFrom('POST', 'DELETE'),
        path: fc.constantFrom(...writes),
        body: fc.oneof(fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)), fc.string({ maxLength: 200 }), fc.constant(undefined)),
      }),
    );
    const statuses = new Map<number, number>();
    let validRequests = 0;
    await fc.assert(
      fc.asyncProperty(headerArb, reqArb, async (authorization, r) => {
        const headers: Record<string, string> = authorization === undefined ? {} : { authorization };
        const a = await ctx.api.request(r.method, r.path, { key: null, headers, body: r.body });
        statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
        if (a.status >= 500) throw new Error(`${r.method} ${r.path} → ${a.status}: ${a.text.slice(0, 300)}`);
        if (authorization === `Bearer ${valid}`) {
          validRequests++;
          if (REFUSED.has(a.status)) throw new Error(`the valid key was refused with ${a.status} on ${r.method} ${r.path}: ${a.text.slice(0, 200)}`);
        }
      }),
      { numRuns: 1000, seed: Number(process.env.FC_SEED ?? Date.now() % 100000) },
    );
    assert.ok(validRequests >= 50, `only ${validRequests} requests used the valid key`);
    assert.ok((statuses.get(429) ?? 0) > 0, `the throttle never engaged: ${JSON.stringify([...statuses])}`);
    assert.equal((await ctx.api.get('/v1/runs')).status, 200);
    for (const job of ctx.api.engine.activeJobs()) await job.stop({ actor: 'test', reason: 'cleanup' });
  });
});
