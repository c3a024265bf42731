import { strict as assert } from 'node:assert';
import { startTestApi, type TestApi } from './harness';

describe('api: paginated lists and the page cache', function () {
  let api: TestApi;
  const audit = (reason: string) =>
    api.engine.recordAudit({ actor: 'test', action: 'probe', reason, request_id: null, run_id: null, workspace_id: null, details: {} });
  before(async () => {
    api = await startTestApi();
    for (let i = 0; i < 25; i++) audit(`event ${i}`);
  });
  after(() => api.close());

  it('pages with opaque cursors: every event once, newest first', async () => {
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const a = await api.get(`/v1/timeline?limit=7${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      assert.equal(a.status, 200);
      assert.ok(a.json.items.length <= 7);
      seen.push(...a.json.items.map((e: { seq: number }) => e.seq));
      cursor = a.json.has_more ? a.json.next_cursor : null;
    } while (cursor);
    assert.equal(seen.length, 25);
    assert.deepEqual(seen, [...seen].sort((a, b) => b - a));
    const bad = await api.get('/v1/timeline?cursor=not-a-cursor');
    assert.equal(bad.status, 400);
    assert.equal(bad.json.errors[0].path, 'query.cursor');
  });

  it('repeats come from the cache; any change is visible at once', async () => {
    const first = await api.get('/v1/timeline?limit=5');
    const again = await api.get('/v1/timeline?limit=5');
    assert.equal(again.text, first.text);
    assert.match((await api.get('/v1/metrics')).text, /flowforge_page_cache_total\{result="hit"\} [1-9]/);
    audit('a fresh event');
    const after = await api.get('/v1/timeline?limit=5');
    assert.equal(after.json.items[0].data.reason, 'a fresh event');
  });

  it('never serves one client the page cached for another scope', async () => {
    const admin = await api.get('/v1/timeline?limit=5');
    assert.ok(admin.json.items.length > 0);
    const submit = await api.get('/v1/timeline?limit=5', { key: 'submit' });
    assert.deepEqual(submit.json.items, []);
  });
});
