import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { LineNormalizer, normalizeLine, repeatedUnit } from '../../../server/detect/normalize';

const norm = new LineNormalizer(2048);
const hashOf = (s: string): number => {
  const b = Buffer.from(s);
  return norm.hash(b, 0, b.length);
};

describe('normalizeLine', () => {
  const cases: [string, string][] = [
    ['[1771347730.592837] Processing item 301 at 0x10297a350 with value 0.41184', '[<N>] Processing item <N> at <HEX> with value <N>'],
    ['epoch 3 step 312 loss 0.1234 lr 0.0003', 'epoch <N> step <N> loss <N> lr <N>'],
    ['2026-02-18T10:04:05.123Z GET /api/items/42 200 in 17ms', '<N>-<N>-<N>T<N>:<N>:<N>Z GET /api/items/<N> <N> in <N>ms'],
    ['12:34:56 tick', '<N>:<N>:<N> tick'],
    ['req 550e8400-e29b-41d4-a716-446655440000 done', 'req <UUID> done'],
    ['commit deadbeef12 and 9f8e7d6c5b4a and cafe', 'commit <HEX> and <HEX> and cafe'],
    ['session req_9f8a7b6c5d4e3f2a1b0c99z1 ok', 'session <ID> ok'],
    ['value -3.5, x-5 and [-7]', 'value <N>, x-<N> and [<N>]'],
    ['ERROR connect ECONNREFUSED 127.0.0.1:5432 (attempt 7)', 'ERROR connect ECONNREFUSED <N>.<N>:<N> (attempt <N>)'],
  ];
  for (const [input, template] of cases) {
    it(`masks values: ${JSON.stringify(input)}`, () => assert.equal(normalizeLine(input), template));
  }

  it('keeps identifiers glued to letters or underscores (they name different things)', () => {
    assert.equal(normalizeLine('compiled src/module_1a2b3c4d.ts -> dist/module_1a2b3c4d.js'), 'compiled src/module_1a2b3c4d.ts -> dist/module_1a2b3c4d.js');
    assert.equal(normalizeLine('tests/unit/test_a3f9c1.py::test_handles_8c2f1e PASSED'), 'tests/unit/test_a3f9c1.py::test_handles_8c2f1e PASSED');
    assert.equal(normalizeLine('utf8 sha256 x86_64 p20260218 v2'), 'utf8 sha256 x86_64 p20260218 v2');
  });

  it('removes ANSI escapes (colours, OSC titles) and control bytes, and collapses blanks', () => {
    assert.equal(normalizeLine('\x1b[1;32m✓\x1b[0m   built\tin  \x1b]0;title\x07 12 ms  '), '✓ built in <N> ms');
    assert.equal(normalizeLine('   indented\x08 line'), 'indented line');
  });

  it('gives lines that differ only in values the same hash, and different templates different hashes', () => {
    assert.equal(hashOf('[1] item 2 at 0xdeadbeef'), hashOf('[99999] item 6 at 0x10297a350'));
    assert.notEqual(hashOf('[1] item 2 at 0xdeadbeef'), hashOf('[1] thing 2 at 0xdeadbeef'));
    assert.notEqual(hashOf('test_a3f9c1 PASSED'), hashOf('test_b4e0d2 PASSED'));
  });

  it('reads numeric fields with their context (clock parts, percent, x/y) for sampled lines', () => {
    const b = Buffer.from('12:30:01 step 7/100 done 45% loss -0.25');
    const n = norm.fields(b, 0, b.length);
    assert.deepEqual([...norm.values.slice(0, n)], [12, 30, 1, 7, 100, 45, -0.25]);
    const CLOCK = 1;
    const PERCENT = 2;
    const NUMERATOR = 4;
    const DENOMINATOR = 8;
    assert.deepEqual([...norm.flags.slice(0, n)], [CLOCK, CLOCK, CLOCK, NUMERATOR, DENOMINATOR, PERCENT, 0]);
    const w = Buffer.from('worker 1: poll 7 done');
    assert.equal(norm.fields(w, 0, w.length), 2);
    assert.deepEqual([...norm.flags.slice(0, 2)], [0, 0], 'a colon after a number is not a clock');
  });

  it('repeatedUnit finds the text a line repeats, and leaves other text alone', () => {
    assert.equal(repeatedUnit('poll <N>: idlepoll <N>: idle'), 'poll <N>: idle');
    assert.equal(repeatedUnit('abcabcabc'), 'abc');
    assert.equal(repeatedUnit('abcab'), 'abcab');
    assert.equal(repeatedUnit(''), '');
  });

  it('hash and template agree for any text (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), fc.string({ maxLength: 80 }), (x, y) => {
        const same = normalizeLine(x) === normalizeLine(y);
        return same ? hashOf(x) === hashOf(y) : true;
      }),
      { numRuns: 500 },
    );
  });

  it('masks any standalone number the same way (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e9, max: 1e9 }), fc.double({ min: 0, max: 1e6, noNaN: true }), (i, d) => {
        return normalizeLine(`count ${i} took ${d.toFixed(3)} s`) === 'count <N> took <N> s';
      }),
    );
  });
});
