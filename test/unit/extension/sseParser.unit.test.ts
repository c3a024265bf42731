import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { SseParser } from '../../../src/backend/sseParser';

describe('SseParser', () => {
  it('parses named events with ids, multi-line data and comments', () => {
    const p = new SseParser();
    const events = p.push(': hello\n\nevent: run\nid: 7\ndata: {"a":1}\n\nevent: sample\ndata: x\ndata: y\n\nretry: 2000\n\n');
    assert.deepEqual(events, [
      { event: 'run', data: '{"a":1}', id: '7' },
      { event: 'sample', data: 'x\ny', id: null },
    ]);
    assert.equal(p.retryMs, 2000);
  });

  it('gives the same events however the text is split into chunks (CRLF included)', () => {
    const text = 'event: run\r\nid: 1\r\ndata: one\r\n\r\n: keepalive\r\n\r\nevent: output\ndata: two\n\ndata:three\r\rid: 3\ndata: four\n\n';
    const whole = new SseParser().push(text);
    assert.equal(whole.length, 4);
    fc.assert(
      fc.property(fc.array(fc.nat(text.length), { maxLength: 12 }), (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const p = new SseParser();
        const got = [];
        let from = 0;
        for (const at of [...points, text.length]) {
          got.push(...p.push(text.slice(from, at)));
          from = at;
        }
        assert.deepEqual(got, whole);
      }),
    );
  });

  it('ignores an event without data and unknown fields', () => {
    assert.deepEqual(new SseParser().push('event: run\nid: 4\n\nfoo: bar\ndata: ok\n\n'), [{ event: 'message', data: 'ok', id: null }]);
  });
});
