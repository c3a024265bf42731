import { strict as assert } from 'node:assert';
import { tmpdir } from 'node:os';
import { waitFor } from '../../helpers/processes';
import { KEYS, startTestApi, type TestApi } from './harness';
import { SseClient } from './sseClient';

describe('api: /v1/stream', function () {
  let api: TestApi;
  const clients: SseClient[] = [];
  const connect = async (path = '/v1/stream?samples=0', headers: Record<string, string> = {}, key: string = KEYS.admin) => {
    const c = await SseClient.connect(api.port, path, { host: `127.0.0.1:${api.port}`, authorization: `Bearer ${key}`, ...headers });
    clients.push(c);
    return c;
  };
  /** Journal events with known seqs, made through the engine like any API action. */
  const emit = (n: number, tag: string) => {
    const seqs: number[] = [];
    const off = api.engine.events.on('journal', (e) => seqs.push(e.seq));
    for (let i = 0; i < n; i++) api.engine.recordAudit({ actor: 'test', action: 'probe', reason: `${tag} ${i}`, request_id: null, run_id: null, workspace_id: null, details: {} });
    off();
    return seqs;
  };

  before(async () => {
    api = await startTestApi({ api: { stream: { keepAliveMs: 300, maxBufferBytes: 256 * 1024 }, requestTimeoutMs: 500 } });
  });
  afterEach(() => clients.splice(0).forEach((c) => c.close()));
  after(() => api.close());

  it('sends named events with ids, opened by a comment, and keep-alives', async () => {
    const c = await connect();
    assert.equal(c.status, 200);
    await c.until((x) => x.comments.includes('connected'));
    const seqs = emit(3, 'live');
    await c.until((x) => x.events.length >= 3);
    assert.deepEqual(c.ids, seqs);
    assert.deepEqual(c.events.map((e) => e.event), ['audit', 'audit', 'audit']);
    assert.equal((c.events[0]!.data as { data: { reason: string } }).data.reason, 'live 0');
    await c.until((x) => x.comments.includes('keepalive'), 3000);
  });

  it('a client that reconnects with Last-Event-ID receives exactly the events it missed', async () => {
    const first = await connect();
    await first.until((x) => x.comments.includes('connected'));
    const seen = emit(20, 'before');
    await first.until((x) => x.events.length >= 20);
    first.close();
    const missed = emit(1200, 'while away'); // more than two replay pages
    const again = await connect('/v1/stream?samples=0', { 'last-event-id': String(first.ids[first.ids.length - 1]) });
    // Events keep coming while the replay runs: they must not be lost or doubled.
    const during: number[] = [];
    const timer = setInterval(() => during.push(...emit(5, 'during')), 5);
    await again.until((x) => x.ids.length >= missed.length + 30, 20_000);
    clearInterval(timer);
    const after = emit(3, 'after');
    const expected = [...missed, ...during, ...after];
    await again.until((x) => x.ids.length >= expected.length, 20_000);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(again.ids, expected);
    assert.ok(!again.ids.some((id) => seen.includes(id)));
  });

  it('accepts ?last_event_id= too, and the header wins', async () => {
    const seqs = emit(5, 'q');
    const c = await connect(`/v1/stream?samples=0&last_event_id=${seqs[1]}`);
    await c.until((x) => x.ids.length >= 3);
    assert.deepEqual(c.ids.slice(0, 3), seqs.slice(2));
    const h = await connect(`/v1/stream?samples=0&last_event_id=${seqs[0]}`, { 'last-event-id': String(seqs[3]) });
    await h.until((x) => x.ids.length >= 1);
    assert.deepEqual(h.ids, [seqs[4]]);
  });

  it('is not cut by the request timeout', async () => {
    const c = await connect();
    await new Promise((r) => setTimeout(r, 1500)); // three times requestTimeoutMs
    const seqs = emit(1, 'late');
    await c.until((x) => x.ids.includes(seqs[0]!));
    assert.equal(c.ended, false);
  });

  it('drops a client that does not read, with a final comment, without growing memory', async () => {
    const slow = await connect();
    await slow.until((x) => x.comments.includes('connected'));
    slow.pause();
    const big = 'x'.repeat(4000);
    const before = process.memoryUsage().rss;
    // Loopback socket buffers absorb a few MB before the server side starts to queue.
    for (let i = 0; i < 20_000 && api.server.api.services.stream.size > 0; i++) {
      api.engine.recordAudit({ actor: 'test', action: 'flood', reason: big, request_id: null, run_id: null, workspace_id: null, details: { i } });
      if (i % 50 === 0) await new Promise((r) => setImmediate(r));
    }
    assert.equal(api.server.api.services.stream.size, 0, 'the slow client is still subscribed');
    assert.ok(process.memoryUsage().rss - before < 200 * 1024 * 1024, 'memory grew with the slow client');
    slow.resume();
    await slow.until((x) => x.ended, 10_000);
    assert.match(slow.comments[slow.comments.length - 1] ?? '', /^dropped: .*Last-Event-ID/);
  });

  it("gives a submit key only its own runs' events, and output on request", async () => {
    const mine = await api.post('/v1/runs', { command: process.execPath, args: ['-e', 'setInterval(() => console.log("tick from mine"), 100)'], cwd: tmpdir() }, { key: 'submit' });
    const c = await connect('/v1/stream?samples=0', {}, KEYS.submit);
    const out = await connect(`/v1/stream?samples=0&output=1&run_id=${mine.json.run.id}`, {}, KEYS.submit);
    await out.until((x) => x.events.some((e) => e.event === 'output'));
    const theirs = await api.post('/v1/runs', { command: process.execPath, args: ['-e', 'setTimeout(() => {}, 30000)'], cwd: tmpdir() });
    await api.post('/v1/process/kill', { run_id: theirs.json.run.id, reason: 'test' });
    await api.post('/v1/process/kill', { run_id: mine.json.run.id, reason: 'test' }, { key: 'submit' });
    await api.engine.jobByRun(mine.json.run.id)!.whenEnded();
    await api.engine.jobByRun(theirs.json.run.id)!.whenEnded();
    await c.until((x) => x.events.some((e) => e.event === 'lifecycle' && (e.data as { data: { phase: string } }).data.phase === 'STOPPED'));
    await new Promise((r) => setTimeout(r, 200));
    const runIds = new Set(c.events.map((e) => (e.data as { run_id: string }).run_id));
    assert.deepEqual([...runIds], [mine.json.run.id]);
    const output = out.events.filter((e) => e.event === 'output').map((e) => (e.data as { text: string }).text).join('');
    assert.match(output, /tick from mine/);
    const denied = await connect(`/v1/stream?run_id=${theirs.json.run.id}`, {}, KEYS.submit);
    assert.equal(denied.status, 400);
  });

  it('output offsets: a client attaching mid-run gets every byte once from ?after= plus the live events', async () => {
    const job = 'let i = 0; const t = setInterval(() => { for (let k = 0; k < 50; k++) console.log(`n ${++i}`); if (i >= 2000) { clearInterval(t); } }, 5)';
    const started = await api.post('/v1/runs', { command: process.execPath, args: ['-e', job], cwd: tmpdir() });
    const runId = started.json.run.id as string;
    await waitFor(() => api.server.api.services.outputs.recent(runId).end > 0, 10_000); // the job is printing: attach in the middle
    const live = await connect(`/v1/stream?samples=0&output=1&run_id=${runId}`);
    await live.until((x) => x.comments.includes('connected'));
    const first = await api.get(`/v1/runs/${runId}/output?after=0`);
    assert.equal(first.status, 200, first.text);
    assert.equal(first.json.offset, 0);
    assert.equal(first.json.truncated, false);
    assert.ok(first.json.end > 0, 'the job printed before the stream was attached');
    let shown = first.json.chunks.map((c: { text: string }) => c.text).join('');
    let expected = first.json.end as number;
    await api.engine.jobByRun(runId)!.whenEnded();
    await new Promise((r) => setTimeout(r, 200));
    for (const e of live.events.filter((x) => x.event === 'output')) {
      const o = e.data as { offset: number; end: number; text: string; skipped: boolean };
      assert.equal(o.skipped, false);
      if (o.end <= expected) continue; // already in the answer
      assert.equal(o.offset, expected, 'no event straddles the answer, none leaves a gap');
      shown += o.text;
      expected = o.end;
    }
    const numbers = [...shown.matchAll(/n (\d+)/g)].map((m) => Number(m[1]));
    assert.deepEqual(numbers, Array.from({ length: 2000 }, (_, i) => i + 1));
    const rest = await api.get(`/v1/runs/${runId}/output?after=${expected}`);
    assert.deepEqual({ offset: rest.json.offset, end: rest.json.end, chunks: rest.json.chunks }, { offset: expected, end: expected, chunks: [] });
    const past = await api.get(`/v1/runs/${runId}/output?after=${expected + 1}`);
    assert.equal(past.status, 400);
    assert.match(past.text, /after/);
  });
});
