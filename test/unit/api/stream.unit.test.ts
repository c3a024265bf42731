import { strict as assert } from 'node:assert';
import { OutputHub } from '../../../server/api/outputHub';
import { displayLine } from '../../../server/shared/displayLine';
import { sseComment, sseFrame } from '../../../server/api/sse';

const chunk = (run_id: string, stream: 'stdout' | 'stderr', text: string | Buffer) => ({
  run_id,
  job_id: run_id,
  stream,
  chunk: Buffer.isBuffer(text) ? text : Buffer.from(text),
});

describe('sse framing', () => {
  it('frames named events with ids, data on one line', () => {
    assert.equal(sseFrame('run', { a: 'x\ny' }, 7), 'event: run\nid: 7\ndata: {"a":"x\\ny"}\n\n');
    assert.equal(sseFrame('sample', { t: 1 }), 'event: sample\ndata: {"t":1}\n\n');
    assert.equal(sseComment('a\r\nb'), ': a b\n\n');
  });
});

describe('output hub', () => {
  it('keeps stdout and stderr lines in order, partial lines last, redacted and cleaned', () => {
    const hub = new OutputHub();
    hub.onOutput(chunk('r1', 'stdout', 'one\ntw'));
    hub.onOutput(chunk('r1', 'stderr', 'err token=supersecretvalue123\n'));
    hub.onOutput(chunk('r1', 'stdout', 'o\n\x1b[31mred\x1b[0m\nprogress 10%\rprogress 90%\nprompt> '));
    const out = hub.recent('r1');
    assert.equal(out.available, true);
    assert.deepEqual(
      out.lines.map((l) => `${l.stream}:${l.text}`),
      ['stdout:one', 'stderr:err token=[REDACTED]', 'stdout:two', 'stdout:red', 'stdout:progress 90%', 'stdout:prompt> '],
    );
    assert.equal(hub.recent('nope').available, false);
  });

  it('decodes UTF-8 split across chunks', () => {
    const hub = new OutputHub();
    const bytes = Buffer.from('héllo ✓\n');
    hub.onOutput(chunk('r', 'stdout', bytes.subarray(0, 2)));
    hub.onOutput(chunk('r', 'stdout', bytes.subarray(2, 9)));
    hub.onOutput(chunk('r', 'stdout', bytes.subarray(9)));
    assert.deepEqual(hub.recent('r').lines.map((l) => l.text), ['héllo ✓']);
  });

  it('stays within its byte, line and run bounds', () => {
    const hub = new OutputHub({ maxBytes: 1000, maxLines: 20, maxRuns: 3 });
    for (let i = 0; i < 5000; i++) hub.onOutput(chunk('big', 'stdout', `line ${i}\n`));
    const out = hub.recent('big');
    assert.equal(out.truncated, true);
    assert.equal(out.lines.length, 20);
    assert.equal(out.lines[19]!.text, 'line 4999');
    for (const id of ['a', 'b', 'c']) hub.onOutput(chunk(id, 'stdout', 'x\n'));
    assert.equal(hub.recent('big').available, false, 'the least recently written run was forgotten');
    assert.equal(hub.recent('c').available, true);
  });

  it('fans redacted output out to subscribers of that run only, gathered per flush', async () => {
    const hub = new OutputHub();
    const got: string[] = [];
    const off = hub.subscribe('r1', (o) => got.push(`${o.stream}:${o.text}`));
    hub.onOutput(chunk('r1', 'stdout', 'password=hunter2hunter2\n'));
    hub.onOutput(chunk('r2', 'stdout', 'other\n'));
    hub.onOutput(chunk('r1', 'stderr', 'oops\n'));
    hub.addLines('r1', ['fed a', 'fed b']);
    await new Promise((r) => setTimeout(r, 120));
    off();
    hub.onOutput(chunk('r1', 'stdout', 'after\n'));
    await new Promise((r) => setTimeout(r, 120));
    assert.deepEqual(got, ['stdout:password=[REDACTED]\n', 'stderr:oops\n', 'stdout:fed a\nfed b\n']);
  });

  it('withholds what a flush has no redaction time left for, with a marker, and never sends it unredacted', async () => {
    const hub = new OutputHub({ redactMsPerFlush: 0 });
    const got: { stream: string; text: string; skipped?: boolean }[] = [];
    hub.subscribe('b', (o) => got.push(o));
    hub.onOutput(chunk('b', 'stdout', 'password=hunter2hunter2\n'));
    await new Promise((r) => setTimeout(r, 120));
    assert.equal(got.length, 1);
    assert.ok(!got[0]!.text.includes('hunter2'));
    assert.equal(got[0]!.skipped, true);
    assert.match(got[0]!.text, /24 characters of output withheld here: redacting them would have taken more than 0 ms/);
  });

  it('caps a flood per flush and says how much it left out', async () => {
    const hub = new OutputHub();
    const got: { stream: string; text: string }[] = [];
    hub.subscribe('f', (o) => got.push(o));
    const line = 'x'.repeat(99) + '\n';
    for (let i = 0; i < 2000; i++) hub.onOutput(chunk('f', 'stdout', line)); // 200 KB in one flush window
    await new Promise((r) => setTimeout(r, 120));
    const shown = got.filter((o) => o.stream === 'stdout').reduce((n, o) => n + o.text.length, 0);
    assert.equal(shown, 64 * 1024);
    const note = got.find((o) => o.stream === 'stderr');
    assert.match(note?.text ?? '', new RegExp(`${200_000 - 64 * 1024} bytes of output not shown`));
  });

  it('numbers every byte of a run: since(N) is exactly the output from byte N on, across streams and UTF-8', () => {
    const hub = new OutputHub();
    const parts: [ 'stdout' | 'stderr', string][] = [['stdout', 'héllo\n'], ['stderr', 'warn ✓\n'], ['stdout', '\x1b[1mbold\x1b[0m\n'], ['stdout', 'tail']];
    for (const [stream, text] of parts) hub.onOutput(chunk('u', stream, text));
    const all = Buffer.from(parts.map(([, t]) => t).join(''));
    const whole = hub.since('u', 0)!;
    assert.deepEqual({ offset: whole.offset, end: whole.end, truncated: whole.truncated }, { offset: 0, end: all.length, truncated: false });
    assert.deepEqual(whole.chunks.map((c) => c.stream), ['stdout', 'stderr', 'stdout']);
    assert.equal(whole.chunks.map((c) => c.text).join(''), all.toString());
    for (const c of whole.chunks) assert.equal(Buffer.from(all.subarray(c.offset)).toString().startsWith(c.text), true, `chunk at ${c.offset}`);
    for (let n = 0; n <= all.length; n++) {
      const rest = hub.since('u', n)!;
      const text = rest.chunks.map((c) => c.text).join('');
      assert.equal(Buffer.byteLength(text), all.length - rest.offset, `after=${n}`);
      assert.ok(rest.offset >= n && rest.offset - n < 3, 'a byte inside a character starts at the next one');
      assert.equal(text, all.subarray(rest.offset).toString());
    }
    assert.equal(hub.since('u', all.length + 1), null, 'past the end');
    assert.deepEqual(hub.since('nope', 0), { available: false, truncated: false, offset: 0, end: 0, chunks: [] });
    assert.equal(hub.recent('u').end, all.length);
  });

  it('says when the bytes asked for were already dropped, and where the kept ones begin', () => {
    const hub = new OutputHub({ maxBytes: 1000, maxLines: 20, maxRuns: 3 });
    for (let i = 0; i < 300; i++) hub.onOutput(chunk('t', 'stdout', `line ${String(i).padStart(4, '0')}\n`));
    const rest = hub.since('t', 0)!;
    assert.equal(rest.truncated, true);
    assert.equal(rest.end, 300 * 10);
    assert.equal(rest.offset, rest.end - 1000);
    assert.equal(rest.chunks.map((c) => c.text).join(''), Array.from({ length: 100 }, (_, i) => `line ${String(200 + i).padStart(4, '0')}\n`).join(''));
    assert.equal(hub.recent('t').offset, rest.offset);
  });

  it('live events carry contiguous offsets, a flood note stands in for the bytes it left out, and since() flushes first', async () => {
    const hub = new OutputHub();
    const got: { offset: number; end: number; skipped: boolean; text: string }[] = [];
    hub.subscribe('c', (o) => got.push(o));
    hub.onOutput(chunk('c', 'stdout', 'a\n'));
    hub.onOutput(chunk('c', 'stderr', 'b\n'));
    const mid = hub.since('c', 0)!;
    assert.deepEqual(got.map((o) => [o.offset, o.end]), [[0, 2], [2, 4]], 'flushed before answering');
    assert.equal(mid.end, 4);
    for (let i = 0; i < 2000; i++) hub.onOutput(chunk('c', 'stdout', 'x'.repeat(99) + '\n'));
    await new Promise((r) => setTimeout(r, 120));
    for (let i = 1; i < got.length; i++) assert.equal(got[i]!.offset, got[i - 1]!.end, `event ${i} follows event ${i - 1}`);
    assert.equal(got.at(-1)!.end, 4 + 200_000);
    assert.equal(got.at(-1)!.skipped, true);
    assert.ok(got.slice(0, -1).every((o) => !o.skipped && Buffer.byteLength(o.text) === o.end - o.offset));
  });

  it('collapses carriage-return redraws to the last frame', () => {
    assert.equal(displayLine('a\rb\rc'), 'c');
    assert.equal(displayLine('crlf line\r'), 'crlf line');
    assert.equal(displayLine('\x1b]0;title\x07text'), 'text');
  });
});
