// Memory a client can make the API hold is bounded, with a clear 429:
// input a job does not read, and open streams per key.
import { strict as assert } from 'node:assert';
import { get as httpGet, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { expectProblem, KEYS, useTestApi, type TestApi } from './harness';

function openStream(api: TestApi, key: keyof typeof KEYS): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    httpGet({ host: '127.0.0.1', port: api.port, path: '/v1/stream', headers: { authorization: `Bearer ${KEYS[key]}` } }, resolve).on('error', reject);
  });
}

describe('api: bounded memory', function () {
  this.timeout(60_000);
  const ctx = useTestApi({ api: { stream: { maxClientsPerKey: 3 } } });

  it('POST /input to a job that never reads: 429 input-backlog after about 1 MiB, not unbounded buffering', async () => {
    const started = await ctx.api.post('/v1/runs', { command: process.execPath, args: ['-e', 'setInterval(() => {}, 1000)'], cwd: tmpdir(), stdin: 'pipe' });
    assert.equal(started.status, 201, started.text);
    const id = started.json.run.id;
    const chunk = 'x'.repeat(32_768);
    let accepted = 0;
    let refused: ReturnType<typeof expectProblem> | null = null;
    for (let i = 0; i < 100 && !refused; i++) {
      const a = await ctx.api.post(`/v1/runs/${id}/input`, { data: chunk });
      if (a.status === 202) accepted += chunk.length;
      else refused = expectProblem(a, 429);
    }
    assert.ok(refused, `100 writes of 32 KB to a job that never reads were all accepted (${accepted} bytes held)`);
    assert.equal(refused.type, 'https://flowforge.dev/problems/input-backlog');
    assert.match(refused.detail, /not reading its input/);
    // What the kernel buffers (Node's stdin is a socket pair: a few hundred KiB) plus at most 1 MiB in memory.
    assert.ok(accepted <= 1024 * 1024 + 512 * 1024, `${accepted} bytes accepted`);
    await ctx.api.post('/v1/process/kill', { run_id: id, reason: 'test over' });
    await ctx.api.engine.jobByRun(id)?.whenEnded();
  });

  it('a key holds at most maxClientsPerKey open streams: one more is 429, other keys are unaffected, a closed one frees its slot', async () => {
    const open: IncomingMessage[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const s = await openStream(ctx.api, 'read');
        assert.equal(s.statusCode, 200);
        open.push(s);
      }
      const fourth = await ctx.api.get('/v1/stream', { key: 'read' });
      const p = expectProblem(fourth, 429);
      assert.equal(p.type, 'https://flowforge.dev/problems/too-many-streams');
      assert.ok(Number(fourth.headers['retry-after']) >= 1);
      const other = await openStream(ctx.api, 'admin');
      assert.equal(other.statusCode, 200, 'another key was refused');
      open.push(other);
      open.shift()!.destroy();
      await new Promise((r) => setTimeout(r, 200));
      const again = await openStream(ctx.api, 'read');
      assert.equal(again.statusCode, 200, 'a closed stream did not free its slot');
      open.push(again);
    } finally {
      for (const s of open) s.destroy();
    }
  });
});
