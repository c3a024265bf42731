// The SIMD newline counter agrees with a plain count on every size and alignment.
import { strict as assert } from 'node:assert';
import { countNewlines, countNewlinesPortable } from '../../../server/util/newlines';

function plain(buf: Uint8Array): number {
  let n = 0;
  for (const b of buf) if (b === 10) n++;
  return n;
}

describe('countNewlines', () => {
  it('counts like a byte loop for sizes around the 16/64-byte steps and the 64 KB window', () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    for (const size of [0, 1, 15, 16, 17, 63, 64, 65, 1000, 65535, 65536, 65537, 200_000]) {
      const buf = Buffer.alloc(size);
      for (let i = 0; i < size; i++) buf[i] = rnd() < 0.1 ? 10 : Math.floor(rnd() * 256) === 10 ? 11 : Math.floor(rnd() * 256);
      assert.equal(countNewlines(buf), plain(buf), `size ${size}`);
      assert.equal(countNewlinesPortable(buf), plain(buf), `portable, size ${size}`);
    }
  });

  it('counts an unaligned slice of a larger buffer, not its neighbours', () => {
    const buf = Buffer.from('\n'.repeat(10) + 'a\nb\nc' + '\n'.repeat(10));
    assert.equal(countNewlines(buf.subarray(10, 15)), 2);
  });

  it('all newlines and none', () => {
    assert.equal(countNewlines(Buffer.alloc(70_000, 10)), 70_000);
    assert.equal(countNewlines(Buffer.alloc(70_000, 0)), 0);
  });
});
