import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { createLogger } from '../../../server/util/logger';
import { OutputCursor } from '../../../src/tasks/outputCursor';
import { tailOf, TerminalWriter, toCrlf } from '../../../src/tasks/terminalWriter';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('terminal writer', () => {
  it('holds output until the terminal opens, then writes it with CRLF', () => {
    const out: string[] = [];
    const w = new TerminalWriter({ write: (t) => out.push(t) });
    w.write('one\ntwo\r\n');
    w.line('banner');
    assert.deepEqual(out, []);
    w.open();
    assert.deepEqual(out, ['one\r\ntwo\r\nbanner\r\n']);
  });

  it('batches writes into one per interval', async () => {
    const out: string[] = [];
    const w = new TerminalWriter({ write: (t) => out.push(t), flushMs: 20 });
    w.open();
    for (let i = 0; i < 50; i++) w.write(`line ${i}\n`);
    assert.equal(out.length, 0);
    await tick(60);
    assert.equal(out.length, 1);
    assert.equal(out[0]!.split('\r\n').length, 51);
    w.dispose();
  });

  it('starts a banner on a fresh line', () => {
    const out: string[] = [];
    const w = new TerminalWriter({ write: (t) => out.push(t) });
    w.open();
    w.write('partial');
    w.line('■ stopped');
    assert.equal(out.join(''), 'partial\r\n■ stopped\r\n');
  });

  it('shows only the newest lines of a flood, and says how much it skipped', () => {
    const out: string[] = [];
    let now = 0;
    const w = new TerminalWriter({ write: (t) => out.push(t), flushMs: 10, maxCharsPerSecond: 100_000, now: () => now });
    w.open();
    for (let i = 0; i < 20_000; i++) w.write(`flood line ${i}\n`);
    w.flush();
    now += 2000;
    w.flush(true);
    const text = out.join('');
    assert.ok(text.length < 10_000, `wrote ${text.length} characters`);
    assert.match(text, /\[FlowForge: \d+(\.\d)? (KB|MB) of output not shown/);
    assert.match(text, /flood line 19999\r\n/);
    w.dispose();
  });

  it('does not mistake a late flush (a busy extension host) for a flood: the rate is per second, not per tick', () => {
    const out: string[] = [];
    let now = 1000;
    const w = new TerminalWriter({ write: (t) => out.push(t), flushMs: 25, maxCharsPerSecond: 100_000, now: () => now });
    w.open();
    now += 500; // the timer fired 475 ms late: 50,000 characters are within the rate
    const lines = Array.from({ length: 2000 }, (_, i) => `late line ${String(i).padStart(5, '0')}\n`).join(''); // 32,000 characters
    w.write(lines);
    w.flush();
    assert.equal(out.join(''), toCrlf(lines));
    w.dispose();
  });

  it('cuts at a line start', () => {
    assert.equal(tailOf('aaaa\nbbbb\ncccc\n', 7), 'cccc\n');
    assert.equal(toCrlf('a\nb\r\nc'), 'a\r\nb\r\nc');
  });
});

describe('output cursor (terminal attach by byte offset)', () => {
  type Read = { truncated: boolean; offset: number; end: number; chunks: { stream: 'stdout'; offset: number; text: string }[] };
  const logger = createLogger(() => undefined, 'error');
  const bytes = (s: string) => Buffer.byteLength(s);
  /** What the backend answers to ?after=N when it has printed `full` (and kept it all from `kept` on). */
  const answer = (full: string, after: number, kept = 0): Read => {
    const from = Math.max(after, kept);
    const text = Buffer.from(full).subarray(from).toString();
    return { truncated: after < kept, offset: from, end: bytes(full), chunks: text ? [{ stream: 'stdout', offset: from, text }] : [] };
  };
  const out = (offset: number, text: string, skipped = false) => ({
    event: 'output',
    id: null,
    data: { run_id: 'r', stream: 'stdout', text, offset, end: offset + bytes(text), skipped },
  });
  function harness(read: (after: number) => Promise<Read>) {
    const shown: string[] = [];
    const reads: number[] = [];
    const cursor = new OutputCursor({
      read: (after) => (reads.push(after), read(after)),
      write: (t) => shown.push(t),
      deliver: (e) => shown.push(`<${e.event}>`),
      logger,
    });
    return { cursor, shown, reads, text: () => shown.join('') };
  }

  it('shows nothing when the job printed nothing yet', async () => {
    const h = harness(async (after) => answer('', after));
    h.cursor.resync();
    await h.cursor.settled();
    assert.equal(h.text(), '');
    assert.deepEqual(h.reads, [0]);
  });

  it('shows what the job printed before the stream connected, then live output from where it ended', async () => {
    const h = harness(async (after) => answer('a\nb\n', after));
    h.cursor.resync();
    h.cursor.push(out(2, 'b\n')); // the stream repeats a part the read has
    await h.cursor.settled();
    h.cursor.push(out(4, 'c\n'));
    assert.equal(h.text(), 'a\nb\nc\n');
  });

  it('drops what the live stream repeats, also when it began mid-line', async () => {
    const full = 'a\nhello\nc\n';
    const h = harness(async (after) => answer(full, after));
    h.cursor.resync();
    h.cursor.push(out(4, 'llo\nc\n'));
    await h.cursor.settled();
    h.cursor.push(out(bytes(full), 'd\n'));
    assert.equal(h.text(), full + 'd\n');
  });

  it('when the stream connects at any byte and the read answers at any later boundary, every byte shows once', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 30 }), fc.array(fc.nat(), { minLength: 1, maxLength: 8 }), fc.nat(), fc.nat(), async (count, cuts, c, r) => {
        const full = Array.from({ length: count }, (_, i) => `line ${i} ✓\n`).join('');
        const buf = Buffer.from(full);
        // Live events: the output cut at character boundaries; the stream delivers those from `connect` on.
        const bounds = [...new Set([0, buf.length, ...cuts.map((x) => x % (buf.length + 1))])]
          .filter((b) => b === buf.length || (buf[b]! & 0xc0) !== 0x80)
          .sort((x, y) => x - y);
        const events = bounds.slice(1).map((end, i) => out(bounds[i]!, buf.subarray(bounds[i]!, end).toString()));
        const connect = c % events.length;
        const readAt = bounds[connect + (r % (bounds.length - connect))]!; // the backend flushed live output up to here
        let release!: () => void;
        const gate = new Promise<void>((res) => (release = res));
        const h = harness(async (after) => (await gate, answer(buf.subarray(0, readAt).toString(), after)));
        h.cursor.resync();
        const live = events.slice(connect);
        const before = live.filter((e) => e.data.end <= readAt);
        for (const e of before.slice(0, before.length >> 1)) h.cursor.push(e);
        release();
        for (const e of before.slice(before.length >> 1)) h.cursor.push(e);
        await h.cursor.settled();
        for (const e of live.filter((x) => x.data.end > readAt)) h.cursor.push(e);
        await h.cursor.settled();
        assert.equal(h.text(), full);
      }),
    );
  });

  it('reads the bytes a gap in the live stream left out, and holds other events behind them', async () => {
    const full = 'one\ntwo\nthree\n';
    const h2 = harness(async (after) => answer(full, after));
    h2.cursor.push(out(0, 'one\n'));
    h2.cursor.push(out(8, 'three\n')); // 'two\n' was not carried (the stream was replaying)
    h2.cursor.push({ event: 'run', id: 7, data: {} });
    await h2.cursor.settled();
    assert.equal(h2.text(), 'one\ntwo\nthree\n<run>');
    assert.deepEqual(h2.reads, [4]);
    assert.equal(h2.cursor.offset, bytes(full));
  });

  it('says when older output was dropped, and goes on from a held event when a read fails', async () => {
    const h = harness(async (after) => answer('0123456789\n', after, 5));
    h.cursor.resync();
    await h.cursor.settled();
    assert.match(h.text(), /earlier output of this job is not shown.*56789\n$/s);
    const broken = harness(async () => {
      throw new Error('backend gone');
    });
    broken.cursor.push(out(10, 'later\n'));
    await broken.cursor.settled();
    assert.match(broken.text(), /could not be read.*later\n$/s);
  });

  it('never reads in circles: an event straddling what was shown shows its new part', async () => {
    const h = harness(async (after) => answer('abc', after));
    h.cursor.resync();
    await h.cursor.settled();
    h.cursor.push(out(1, 'bcdef'));
    await h.cursor.settled();
    assert.equal(h.text(), 'abcdef');
    assert.deepEqual(h.reads, [0]);
  });

  it('shows a flood note in place of the bytes it stands for, without reading them', async () => {
    const h = harness(async (after) => answer('', after));
    h.cursor.push(out(0, 'a\n'));
    h.cursor.push({ event: 'output', id: null, data: { run_id: 'r', stream: 'stderr', text: '[note]', offset: 2, end: 5000, skipped: true } });
    h.cursor.push(out(5000, 'b\n'));
    assert.equal(h.text(), 'a\n[note]b\n');
    assert.deepEqual(h.reads, []);
  });
});
