import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { catchUpText } from '../../../src/tasks/outputCatchUp';
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

  it('cuts at a line start', () => {
    assert.equal(tailOf('aaaa\nbbbb\ncccc\n', 7), 'cccc\n');
    assert.equal(toCrlf('a\nb\r\nc'), 'a\r\nb\r\nc');
  });
});

describe('catch-up output', () => {
  it('is empty when the snapshot is', () => {
    assert.equal(catchUpText({ lines: [], truncated: false }, 'x\n'), '');
  });

  it('shows the whole snapshot when the live stream has nothing yet, or nothing in common', () => {
    assert.equal(catchUpText({ lines: ['a', 'b'], truncated: false }, ''), 'a\nb\n');
    assert.equal(catchUpText({ lines: ['a', 'b'], truncated: false }, 'c\n'), 'a\nb\n');
  });

  it('drops what the live stream repeats, also when it began mid-line', () => {
    assert.equal(catchUpText({ lines: ['a', 'b', 'c'], truncated: false }, 'b\nc\nd\n'), 'a\n');
    assert.equal(catchUpText({ lines: ['a', 'hello', 'c'], truncated: false }, 'llo\nc\nd\n'), 'a\nhe');
    assert.equal(catchUpText({ lines: ['a', 'b', 'par'], truncated: false }, 'b\npartial line\n'), 'a\n');
  });

  it('when the stream connects between lines, snapshot + live shows every line once, however late the snapshot', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.nat(), fc.nat(), (count, a, b) => {
        const full = Array.from({ length: count }, (_, i) => `line ${i}\n`).join('');
        const connectAt = full.split('\n').slice(0, a % (count + 1)).join('\n').length + (a % (count + 1) ? 1 : 0);
        const snapshotAt = connectAt + (b % (full.length - connectAt + 1));
        const before = full.slice(0, snapshotAt);
        const lines = before.split('\n');
        if (lines[lines.length - 1] === '') lines.pop();
        const live = full.slice(connectAt);
        const shown = catchUpText({ lines, truncated: false }, live) + live;
        assert.equal(shown, full);
      }),
    );
  });

  it('says when older output was dropped', () => {
    assert.match(catchUpText({ lines: ['z'], truncated: true }, ''), /earlier output of this job is not shown/);
  });
});
