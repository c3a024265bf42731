import { strict as assert } from 'node:assert';
import { tmpdir } from 'node:os';
import { startApiServer } from '../../../server/api';
import { legacyPath } from '../../../server/api/routeTable';
import { expectProblem, KEYS, startTestApi, type TestApi } from './harness';

const concrete = (path: string) => path.replace(':request_id', 'req-1').replace(':id', 'nope');
const sleeper = { command: process.execPath, args: ['-e', 'setInterval(() => {}, 1000)'], cwd: tmpdir() };

describe('api: authentication, scopes and request guards', function () {
  let api: TestApi;
  before(async () => {
    api = await startTestApi({ api: { allowedOrigins: ['http://localhost:5173'], throttle: { maxFailures: 1000, addressMaxFailures: 1000 } } });
  });
  after(() => api.close());

  it('answers 401 problem+json on every route but healthz/readyz without a key', async () => {
    for (const r of api.server.api.routes) {
      for (const path of [r.path, legacyPath(r.path)]) {
        const a = await api.request(r.method, concrete(path), { key: null, body: r.body ? {} : undefined });
        if (r.access === 'public') assert.ok([200, 503].includes(a.status), `${r.method} ${path}: ${a.status}`);
        else {
          const p = expectProblem(a, 401);
          assert.equal(p.type, 'https://flowforge.dev/problems/unauthorized');
          assert.match(String(a.headers['www-authenticate']), /^Bearer/);
        }
      }
    }
    assert.equal((await api.get('/v1/healthz', { key: null })).json.status, 'ok');
    assert.ok([200, 503].includes((await api.get('/v1/readyz', { key: null })).status));
  });

  it('a wrong key is 401 too, and the key never appears in the answer', async () => {
    const a = await api.get('/v1/runs', { key: null, headers: { authorization: 'Bearer not-the-key-at-all-123' } });
    const p = expectProblem(a, 401);
    assert.match(p.detail, /not valid/);
    assert.ok(!a.text.includes('not-the-key-at-all-123'));
  });

  it('a read key can GET but gets 403 on every POST and DELETE', async () => {
    for (const r of api.server.api.routes) {
      if (r.path === '/v1/stream') continue; // never ends; scopes of the stream: stream.int.test.ts
      const a = await api.request(r.method, concrete(r.path), { key: 'read', body: r.body ? {} : undefined });
      if (r.method === 'GET') assert.notEqual(a.status, 403, `GET ${r.path} refused a read key`);
      else assert.equal(expectProblem(a, 403).type, 'https://flowforge.dev/problems/forbidden', `${r.method} ${r.path}`);
    }
    const runs = await api.get('/v1/runs', { key: 'read' });
    assert.equal(runs.status, 200);
  });

  it('a submit key starts runs and reads its own, but cannot touch other runs or protection', async () => {
    const mine = await api.post('/v1/runs', sleeper, { key: 'submit' });
    assert.equal(mine.status, 201, mine.text);
    const theirs = await api.post('/v1/runs', sleeper, { key: 'admin' });
    assert.equal(theirs.status, 201);
    const myId = mine.json.run.id as string;
    const theirId = theirs.json.run.id as string;
    assert.equal(mine.json.run.owner, 'agent');

    assert.equal((await api.get(`/v1/runs/${myId}`, { key: 'submit' })).status, 200);
    expectProblem(await api.get(`/v1/runs/${theirId}`, { key: 'submit' }), 404);
    expectProblem(await api.get(`/v1/runs/${myId}`, { key: 'other' }), 404);
    const list = await api.get('/v1/runs', { key: 'submit' });
    assert.deepEqual(list.json.items.map((r: { id: string }) => r.id), [myId]);
    expectProblem(await api.get('/v1/runs?owner=extension', { key: 'submit' }), 403);
    const timeline = await api.get('/v1/timeline?limit=500', { key: 'submit' });
    assert.ok(timeline.json.items.length > 0);
    assert.ok(timeline.json.items.every((e: { run_id: string }) => e.run_id === myId), 'timeline leaks other runs');

    const kill = await api.post('/v1/process/kill', { run_id: theirId, reason: 'not mine' }, { key: 'submit' });
    assert.match(expectProblem(kill, 403).detail, /only on runs it started/);
    expectProblem(await api.post('/v1/process/restart', { run_id: theirId, reason: 'x' }, { key: 'submit' }), 403);
    expectProblem(await api.post(`/v1/runs/${theirId}/signal`, { signal: 'SIGINT' }, { key: 'submit' }), 403);
    expectProblem(await api.post('/v1/integrations/workspaces/register', { workspace_id: 'w', workspace_path: '/tmp' }, { key: 'submit' }), 403);
    expectProblem(await api.post('/v1/integrations/workspaces/w/protection', { enabled: false }, { key: 'submit' }), 403);
    expectProblem(await api.get('/v1/metrics', { key: 'submit' }), 403);
    assert.equal(api.engine.jobByRun(theirId)?.active, true, 'the other run was touched');

    const own = await api.post('/v1/process/kill', { run_id: myId, reason: 'done' }, { key: 'submit' });
    assert.equal(own.status, 202, own.text);
    await api.engine.jobByRun(myId)!.whenEnded();
    await api.post('/v1/process/kill', { run_id: theirId, reason: 'cleanup' });
    await api.engine.jobByRun(theirId)!.whenEnded();
  });

  it('refuses a foreign Host before anything happens (DNS rebinding)', async () => {
    const before = (await api.get('/v1/runs?limit=500')).json.items.length;
    for (const host of ['evil.example', `evil.example:${api.port}`, '127.0.0.1:1', `127.0.0.2:${api.port}`, '']) {
      const a = await api.post('/v1/runs', sleeper, { headers: { host } });
      const p = expectProblem(a, 421);
      assert.equal(p.type, 'https://flowforge.dev/problems/misdirected-request');
    }
    assert.equal((await api.get('/v1/runs?limit=500')).json.items.length, before, 'a run was started');
    assert.equal((await api.get('/v1/healthz', { headers: { host: `localhost:${api.port}` } })).status, 200);
  });

  it('refuses browser requests from origins not on the list, with no wildcard CORS', async () => {
    const before = (await api.get('/v1/runs?limit=500')).json.items.length;
    for (const origin of ['http://evil.example', 'null', `http://127.0.0.1:${api.port}.evil.example`, 'http://localhost:5174']) {
      const a = await api.post('/v1/runs', sleeper, { headers: { origin } });
      assert.equal(expectProblem(a, 403).type, 'https://flowforge.dev/problems/origin-forbidden');
      assert.equal(a.headers['access-control-allow-origin'], undefined);
    }
    const xsite = await api.post('/v1/runs', sleeper, { headers: { 'sec-fetch-site': 'cross-site' } });
    expectProblem(xsite, 403);
    assert.equal((await api.get('/v1/runs?limit=500')).json.items.length, before, 'a run was started');

    const ok = await api.get('/v1/runs', { headers: { origin: 'http://localhost:5173' } });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers['access-control-allow-origin'], 'http://localhost:5173');
    const preflight = await api.request('OPTIONS', '/v1/process/kill', {
      key: null,
      headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST' },
    });
    assert.equal(preflight.status, 204);
    assert.match(String(preflight.headers['access-control-allow-headers']), /Authorization/);
    const badPreflight = await api.request('OPTIONS', '/v1/process/kill', { key: null, headers: { origin: 'http://evil.example' } });
    expectProblem(badPreflight, 403);
  });

  it('echoes sane request ids, replaces others, and sets safe headers', async () => {
    const a = await api.get('/v1/runs', { headers: { 'x-request-id': 'trace-abc.123' } });
    assert.equal(a.headers['x-request-id'], 'trace-abc.123');
    assert.equal(a.headers['x-content-type-options'], 'nosniff');
    assert.equal(a.headers['cache-control'], 'no-store');
    const b = await api.get('/v1/runs', { headers: { 'x-request-id': 'x'.repeat(200) } });
    assert.match(String(b.headers['x-request-id']), /^req_/);
  });

  it('answers unknown routes 404 and wrong methods 405 with Allow, as problems', async () => {
    const nf = expectProblem(await api.get('/v1/nothing/here'), 404);
    assert.equal(nf.instance, '/v1/nothing/here');
    const na = await api.request('PUT', '/v1/runs', { body: {} });
    expectProblem(na, 405);
    assert.equal(na.headers.allow, 'GET, HEAD, OPTIONS, POST');
    expectProblem(await api.request('DELETE', '/v1/process/kill'), 405);
  });

  it('a busy port is a clear error', async () => {
    await assert.rejects(
      startApiServer({ engine: api.engine, keys: [{ name: 'k', scope: 'admin', key: KEYS.admin }], port: api.port }),
      new RegExp(`port ${api.port} on 127\\.0\\.0\\.1 is in use`),
    );
  });

  it('serves the legacy aliases (marked deprecated)', async () => {
    const a = await api.get('/incidents');
    assert.equal(a.status, 200);
    assert.equal(a.headers.deprecation, 'true');
    assert.equal(a.headers.link, '</v1/incidents>; rel="successor-version"');
  });

  it('refuses oversized, non-JSON and malformed bodies', async () => {
    const big = await api.post('/v1/runs', { ...sleeper, name: 'x'.repeat(70 * 1024) });
    expectProblem(big, 413);
    const text = await api.post('/v1/process/kill', 'run_id=1', { headers: { 'content-type': 'text/plain' } });
    expectProblem(text, 415);
    const broken = await api.post('/v1/process/kill', '{"run_id": ', {});
    assert.equal(expectProblem(broken, 400).type, 'https://flowforge.dev/problems/invalid-json');
  });
});

describe('api: auth failure throttling', function () {
  let api: TestApi;
  before(async () => {
    api = await startTestApi({ api: { throttle: { maxFailures: 5, addressMaxFailures: 8, windowMs: 60_000, blockMs: 2_000 } } });
  });
  after(() => api.close());

  it('answers 429 with Retry-After to repeated failures, a success does not reset it, the valid key is never blocked', async () => {
    for (let i = 0; i < 4; i++) expectProblem(await api.get('/v1/runs', { key: null, headers: { authorization: 'Bearer wrong-key-0000000' } }), 401);
    // A valid key in between must not clear the count (it would let brute force go on).
    assert.equal((await api.get('/v1/runs')).status, 200);
    const blocked = await api.get('/v1/runs', { key: null, headers: { authorization: 'Bearer wrong-key-0000000' } });
    const p = expectProblem(blocked, 429);
    assert.equal(p.type, 'https://flowforge.dev/problems/auth-rate-limited');
    assert.ok(Number(blocked.headers['retry-after']) >= 1);
    // While blocked, wrong keys keep getting 429; the valid key is checked first and never blocked.
    expectProblem(await api.get('/v1/runs', { key: null, headers: { authorization: 'Bearer wrong-key-0000000' } }), 429);
    assert.equal((await api.get('/v1/runs')).status, 200, 'a blocked bucket locked the valid key out');
    // Varying the key moves to new buckets, but the address limit catches it.
    for (let i = 0; i < 3; i++) await api.get('/v1/runs', { key: null, headers: { authorization: `Bearer guess-${i}-000000000` } });
    expectProblem(await api.get('/v1/runs', { key: null, headers: { authorization: 'Bearer guess-9-000000000' } }), 429);
    assert.equal((await api.get('/v1/runs', { key: 'admin' })).status, 200, 'a blocked address locked the valid key out');
    assert.equal((await api.get('/v1/healthz', { key: null })).status, 200, 'public routes are never throttled');
    await new Promise((r) => setTimeout(r, 2200));
    assert.equal((await api.get('/v1/runs')).status, 200, 'the block ends');
    const metrics = await api.get('/v1/metrics');
    assert.match(metrics.text, /flowforge_auth_failures_total\{reason="throttled"\} [1-9]/);
    assert.ok(!metrics.text.includes(KEYS.admin));
  });
});
