import { strict as assert } from 'node:assert';
import { tmpdir } from 'node:os';
import fc from 'fast-check';
import { expectProblem, startTestApi, type TestApi } from './harness';

/** [body, a field the problem must name] */
type Case = [unknown, string];

const RUN = { command: 'node', cwd: tmpdir() };

const CASES: Record<string, Case[]> = {
  'POST /v1/runs': [
    [{}, 'body.command'],
    [{ cwd: tmpdir() }, 'body.command'],
    [{ command: 'node' }, 'body.cwd'],
    [{ ...RUN, cwd: 'relative/dir' }, 'body.cwd'],
    [{ ...RUN, cwd: '/no/such/dir/anywhere' }, 'body.cwd'],
    [{ ...RUN, args: 'not-a-list' }, 'body.args'],
    [{ ...RUN, args: [1, 2] }, 'body.args.0'],
    [{ ...RUN, env: { 'BAD NAME': 'x' } }, 'body.env'],
    [{ ...RUN, env: { OK: 5 } }, 'body.env.OK'],
    [{ ...RUN, profile: 'turbo' }, 'body.profile'],
    [{ ...RUN, max_cpu: 0 }, 'body.max_cpu'],
    [{ ...RUN, max_memory_mb: -5 }, 'body.max_memory_mb'],
    [{ ...RUN, on_runaway: 'explode' }, 'body.on_runaway'],
    [{ ...RUN, restartable: 'yes' }, 'body.restartable'],
    [{ ...RUN, shell: 1 }, 'body.shell'],
    [{ ...RUN, workspace_id: 'has space' }, 'body.workspace_id'],
    [{ ...RUN, workspace_id: 'not-registered' }, 'body.workspace_id'],
    [{ ...RUN, extra: true }, 'body.extra'],
    [{ ...RUN, command: '' }, 'body.command'],
    [[], 'body'],
  ],
  'POST /v1/watch': [
    [{}, 'body.pid'],
    [{ name: 'x' }, 'body.pid'],
    [{ pid: 'x', name: 'x' }, 'body.pid'],
    [{ pid: 1.5, name: 'x' }, 'body.pid'],
    [{ pid: 0, name: 'x' }, 'body.pid'],
    [{ pid: 4_000_000, name: 'x' }, 'body.pid'],
    [{ pid: process.pid, name: 'x' }, 'body.pid'],
    [{ pid: 2 }, 'body.name'],
    [{ pid: 2, name: '' }, 'body.name'],
    [{ pid: 2, name: 'x', on_runaway: 'restart' }, 'body.on_runaway'],
    [{ pid: 2, name: 'x', cwd: 'rel' }, 'body.cwd'],
    [{ pid: 2, name: 'x', bogus: 1 }, 'body.bogus'],
  ],
  'POST /v1/runs/:id/signal': [
    [{}, 'body.signal'],
    [{ signal: 'SIGKILL' }, 'body.signal'],
    [{ signal: 'sigint' }, 'body.signal'],
    [{ signal: 2 }, 'body.signal'],
    [{ signal: null }, 'body.signal'],
    [{ signal: 'SIGINT', x: 1 }, 'body.x'],
    [{ sig: 'SIGINT' }, 'body.sig'],
    [{ signal: ['SIGINT'] }, 'body.signal'],
    [{ signal: '' }, 'body.signal'],
    [{ signal: 'SIGSTOP' }, 'body.signal'],
  ],
  'POST /v1/runs/:id/input': [
    [{}, 'body'],
    [{ data: 1 }, 'body.data'],
    [{ data_base64: '%%%' }, 'body.data_base64'],
    [{ data: 'a', data_base64: 'YQ==' }, 'body'],
    [{ data: null }, 'body.data'],
    [{ data: ['a'] }, 'body.data'],
    [{ text: 'a' }, 'body.text'],
    [{ data: 'a\u0000b' }, 'body.data'],
    [{ data_base64: 5 }, 'body.data_base64'],
    [{ data: 'x'.repeat(40_000) }, 'body.data'],
  ],
  'POST /v1/runs/:id/lines': [
    [{}, 'body.lines'],
    [{ lines: 'one' }, 'body.lines'],
    [{ lines: [1] }, 'body.lines.0'],
    [{ lines: [] }, 'body.lines'],
    [{ lines: ['x'.repeat(9000)] }, 'body.lines.0'],
    [{ lines: ['a'], end: 0 }, 'body.end'],
    [{ lines: ['a'], end: {} }, 'body.end.exit_code'],
    [{ lines: ['a'], end: { exit_code: 'x' } }, 'body.end.exit_code'],
    [{ lines: ['a'], end: { exit_code: 0, why: 1 } }, 'body.end.why'],
    [{ lines: ['a'], more: 1 }, 'body.more'],
  ],
  'POST /v1/process/kill': [
    [{}, 'body.run_id'],
    [{ run_id: 'x' }, 'body.reason'],
    [{ reason: 'x' }, 'body.run_id'],
    [{ run_id: 'x', reason: '' }, 'body.reason'],
    [{ run_id: 'x', reason: '   ' }, 'body.reason'],
    [{ run_id: 'x', reason: 'r'.repeat(501) }, 'body.reason'],
    [{ run_id: '', reason: 'x' }, 'body.run_id'],
    [{ run_id: 'a/b', reason: 'x' }, 'body.run_id'],
    [{ run_id: 5, reason: 'x' }, 'body.run_id'],
    [{ run_id: 'x', reason: 'x', force: true }, 'body.force'],
  ],
  'POST /v1/process/restart': [
    [{}, 'body.run_id'],
    [{ run_id: 'x' }, 'body.reason'],
    [{ run_id: 'x', reason: 7 }, 'body.reason'],
    [{ run_id: null, reason: 'x' }, 'body.run_id'],
    [{ run_id: 'x'.repeat(129), reason: 'x' }, 'body.run_id'],
    [{ run_id: 'x', reason: 'x', delay: 1 }, 'body.delay'],
    [{ run_id: ['x'], reason: 'x' }, 'body.run_id'],
    [{ run_id: 'x', reason: ['x'] }, 'body.reason'],
    [{ run_id: 'x', reason: {} }, 'body.reason'],
    [{ runId: 'x', reason: 'x' }, 'body.runId'],
  ],
  'POST /v1/integrations/workspaces/register': [
    [{}, 'body.workspace_id'],
    [{ workspace_id: 'w' }, 'body.workspace_path'],
    [{ workspace_id: 'w', workspace_path: 'rel' }, 'body.workspace_path'],
    [{ workspace_id: 'w w', workspace_path: '/tmp' }, 'body.workspace_id'],
    [{ workspace_id: 'w', workspace_path: '/tmp', profile: 'heavy' }, 'body.profile'],
    [{ workspace_id: 'w', workspace_path: '/tmp', client: '' }, 'body.client'],
    [{ workspace_id: 'w', workspace_path: '/tmp', client: 5 }, 'body.client'],
    [{ workspace_id: 'w', workspace_path: 5 }, 'body.workspace_path'],
    [{ workspace_id: 'w', workspace_path: '/tmp', protection: false }, 'body.protection'],
    [{ workspace_id: '', workspace_path: '/tmp' }, 'body.workspace_id'],
  ],
  'DELETE /v1/integrations/workspaces/:id': [
    [{ reason: 5 }, 'body.reason'],
    [{ reason: null }, 'body.reason'],
    [{ reason: ['x'] }, 'body.reason'],
    [{ reason: 'r'.repeat(501) }, 'body.reason'],
    [{ why: 'x' }, 'body.why'],
    [{ reason: 'x', force: true }, 'body.force'],
    [{ reason: {} }, 'body.reason'],
    [{ reason: true }, 'body.reason'],
    [{ reason: 'a\u0000' }, 'body.reason'],
    [[], 'body'],
  ],
  'POST /v1/incidents/:id/allow': [
    [{ reason: 5 }, 'body.reason'],
    [{ reason: null }, 'body.reason'],
    [{ reason: ['x'] }, 'body.reason'],
    [{ reason: 'r'.repeat(501) }, 'body.reason'],
    [{ why: 'x' }, 'body.why'],
    [{ reason: 'x', signature: 'p1-0' }, 'body.signature'],
    [{ reason: {} }, 'body.reason'],
    [{ reason: true }, 'body.reason'],
    [{ reason: 'a\u0000' }, 'body.reason'],
    [[], 'body'],
  ],
  'POST /v1/integrations/workspaces/:id/protection': [
    [{}, 'body.enabled'],
    [{ reason: 'x' }, 'body.enabled'],
    [{ enabled: 'false' }, 'body.enabled'],
    [{ enabled: 0 }, 'body.enabled'],
    [{ enabled: null }, 'body.enabled'],
    [{ enabled: true, reason: 5 }, 'body.reason'],
    [{ enabled: true, extra: 1 }, 'body.extra'],
    [{ enabled: [true] }, 'body.enabled'],
    [{ enable: true }, 'body.enable'],
    [{ enabled: true, reason: 'r'.repeat(501) }, 'body.reason'],
  ],
  'POST /v1/integrations/workspaces/:id/actions': [
    [{}, 'body.action'],
    [{ action: 'stop', reason: 'x' }, 'body.action'],
    [{ action: 'KILL', reason: 'x' }, 'body.action'],
    [{ action: 'kill' }, 'body.reason'],
    [{ action: 'kill', reason: '' }, 'body.reason'],
    [{ action: 'kill', reason: 'x', run_id: 5 }, 'body.run_id'],
    [{ action: 'kill', reason: 'x', run_id: 'a b' }, 'body.run_id'],
    [{ action: 'kill', reason: 'x', now: true }, 'body.now'],
    [{ action: null, reason: 'x' }, 'body.action'],
    [{ action: ['kill'], reason: 'x' }, 'body.action'],
  ],
};

describe('api: malformed input', function () {
  let api: TestApi;
  before(async () => {
    api = await startTestApi({ api: { throttle: { maxFailures: 100_000, addressMaxFailures: 100_000 } } });
    await api.post('/v1/integrations/workspaces/register', { workspace_id: 'ws1', workspace_path: tmpdir() });
  });
  after(() => api.close());

  it('covers every write route of the app', () => {
    const writes = api.server.api.routes.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.path}`);
    assert.deepEqual(writes.sort(), Object.keys(CASES).sort());
  });

  for (const [route, cases] of Object.entries(CASES)) {
    it(`${route}: ${cases.length} malformed bodies each get 400 naming the field`, async () => {
      assert.ok(cases.length >= 10);
      const [method, template] = route.split(' ') as [string, string];
      const path = template.replace(':id', template.includes('workspaces') ? 'ws1' : 'run_unknown');
      for (const [body, field] of cases) {
        const a = await api.request(method, path, { body });
        const p = expectProblem(a, 400);
        const named = (p.errors ?? []).some((e: { path: string }) => e.path === field || e.path.startsWith(field + '.'));
        assert.ok(named || (field === 'body' && /body/.test(p.detail)), `${route} ${JSON.stringify(body).slice(0, 80)}: expected ${field}, got ${a.text.slice(0, 300)}`);
        assert.ok(p.detail.includes(field), `detail does not name ${field}: ${p.detail}`);
      }
    });
  }

  it('1,000 random requests: never a 5xx, and healthz still answers', async function () {
    this.timeout(180_000);
    const paths = [
      ...api.server.api.routes.map((r) => r.path),
      '/v1/runs/%E0%A4%A',
      '/v1/../etc/passwd',
      '/v1/timeline?limit=-1&cursor=%00',
      '/v1/stream?last_event_id=abc',
      '/v1/runs?active=maybe&limit=9999999999999',
      '//v1//runs',
    ];
    const segment = fc.oneof(fc.constantFrom('nope', 'run_x', 'ws1', '%20', '..', 'a'.repeat(200)), fc.string({ maxLength: 12 }).map(encodeURIComponent));
    const pathArb = fc.tuple(fc.constantFrom(...paths), segment, fc.option(fc.string({ maxLength: 30 }), { nil: undefined })).map(([p, seg, q]) => {
      const filled = p.replace(/:[a-z_]+/g, seg);
      return q === undefined ? filled : `${filled}?${encodeURIComponent(q).replace(/%3D/g, '=').replace(/%26/g, '&')}`;
    });
    const bodyArb = fc.oneof(
      fc.constant(undefined),
      fc.jsonValue({ maxDepth: 3 }),
      fc.record({ run_id: fc.string(), reason: fc.string(), signal: fc.string(), lines: fc.array(fc.string()), enabled: fc.boolean() }, { requiredKeys: [] }),
      fc.string({ maxLength: 50 }),
    );
    const methodArb = fc.constantFrom('GET', 'POST', 'DELETE', 'PUT', 'PATCH', 'HEAD', 'OPTIONS');
    const keyArb = fc.constantFrom<'admin' | 'read' | 'submit' | null>('admin', 'admin', 'read', 'submit', null);
    const contentTypeArb = fc.constantFrom('application/json', 'application/json', 'text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1');
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(methodArb, pathArb, bodyArb, keyArb, contentTypeArb, async (method, path, body, key, contentType) => {
        // Never kill what the random requests may start: nothing they start survives them.
        const raw = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
        const a = await api.request(method, path, { key, body: raw, headers: raw === undefined ? {} : { 'content-type': contentType } });
        seen.set(a.status, (seen.get(a.status) ?? 0) + 1);
        if (a.status >= 500 && !(path.includes('readyz') && a.status === 503)) throw new Error(`${method} ${path} → ${a.status}: ${a.text.slice(0, 300)}`);
      }),
      { numRuns: 1000, seed: Number(process.env.FC_SEED ?? Date.now() % 100000), verbose: 1 },
    );
    assert.equal((await api.get('/v1/healthz', { key: null })).json.status, 'ok');
    assert.ok((seen.get(400) ?? 0) > 50, `too few requests reached validation: ${JSON.stringify([...seen])}`);
    for (const job of api.engine.activeJobs()) await job.stop({ actor: 'test', reason: 'cleanup' });
  });
});
