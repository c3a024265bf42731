import * as assert from 'node:assert/strict';
import { LineBatcher } from '../../../src/terminal/lineBatcher';
import { workspaceIdFor } from '../../../src/workspace/workspaceId';

describe('terminal line batcher', () => {
  it('holds lines until resumed, then sends them in order, in batches, with the partial last line at the end', async () => {
    const sent: string[][] = [];
    const b = new LineBatcher({ send: async (l) => void sent.push(l), flushMs: 5, maxLinesPerRequest: 3 });
    b.push('one\r\ntw');
    b.push('o\nthree\nfour\nfive\nsi');
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(sent.length, 0, 'nothing before the run exists');
    b.resume();
    await b.end();
    assert.deepEqual(sent.flat(), ['one', 'two', 'three', 'four', 'five', 'si']);
    assert.ok(sent.every((batch) => batch.length <= 3));
  });

  it('sends full batches back to back, without dropping, while the backend keeps up', async () => {
    const sent: string[][] = [];
    const b = new LineBatcher({ send: async (l) => void sent.push(l), flushMs: 10_000, maxLinesPerRequest: 100 });
    b.resume();
    for (let i = 0; i < 5000; i++) b.push(`[${i}] Processing item ${i % 7}\n`);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(sent.flat().length, 5000, 'no waiting for the timer while full batches are pending');
    assert.equal(b.dropped, 0);
    assert.deepEqual(sent.flat().map((l) => Number(/\[(\d+)\]/.exec(l)![1])), Array.from({ length: 5000 }, (_, i) => i), 'no gaps');
  });

  it('keeps each request under the API body limit, escapes and UTF-8 included', async () => {
    const sizes: number[] = [];
    const b = new LineBatcher({ send: async (l) => void sizes.push(Buffer.byteLength(JSON.stringify({ lines: l }))) });
    b.resume();
    for (let i = 0; i < 3000; i++) b.push(`${'\x1b[31m"ä€"\x1b[0m'.repeat(20)}\n`);
    await b.end();
    assert.ok(Math.max(...sizes) < 64 * 1024, `largest body ${Math.max(...sizes)} bytes`);
  });

  it('drops the oldest lines when the backend cannot keep up, and counts them', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const sent: string[] = [];
    const b = new LineBatcher({ send: async (l) => (await gate, void sent.push(...l)), flushMs: 1, maxLinesPerRequest: 10, maxPending: 50 });
    // (the gate holds every request until released)
    b.resume();
    for (let i = 0; i < 500; i++) b.push(`l${i}\n`);
    await new Promise((r) => setTimeout(r, 10));
    release();
    await b.end();
    assert.ok(b.dropped > 0);
    assert.equal(sent[sent.length - 1], 'l499');
    assert.equal(sent.length + b.dropped, 500);
  });

  it('truncates very long lines', async () => {
    const sent: string[] = [];
    const b = new LineBatcher({ send: async (l) => void sent.push(...l), maxLineChars: 10 });
    b.push(`${'x'.repeat(50)}\n`);
    await b.end();
    assert.deepEqual(sent, ['x'.repeat(10)]);
  });
});

describe('workspace ids', () => {
  it('are stable per folder URI and valid API identifiers', () => {
    const a = workspaceIdFor('file:///home/me/project');
    assert.equal(a, workspaceIdFor('file:///home/me/project'));
    assert.notEqual(a, workspaceIdFor('file:///home/me/other'));
    assert.match(a, /^[A-Za-z0-9._:-]{1,128}$/);
  });
});
