import assert from 'node:assert/strict';
import { PageCache } from '../../../server/api/pageCache';
import { FakeClock } from '../../../server/util/clock';

describe('page cache: bounded by size, not only by count', () => {
  it('never holds more than maxChars, and does not keep a page larger than a quarter of it', () => {
    const cache = new PageCache(new FakeClock(), () => undefined, { maxEntries: 1000, maxChars: 10_000, ttlMs: 60_000 });
    for (let i = 0; i < 100; i++) cache.json(`page-${i}`, () => 'y'.repeat(990));
    assert.ok(cache.size.chars <= 10_000, `${cache.size.chars} chars held`);
    assert.ok(cache.size.entries >= 9, 'it evicted more than it had to');
    const huge = cache.json('huge', () => 'z'.repeat(5000));
    assert.equal(huge.length, 5002);
    assert.ok(cache.size.chars <= 10_000);
    let built = 0;
    cache.json('huge', () => (built++, 'z'.repeat(5000)));
    assert.equal(built, 1, 'the oversized page was cached');
    cache.invalidate();
    assert.deepEqual(cache.size, { entries: 0, chars: 0 });
  });

  it('replacing an entry does not count it twice', () => {
    const clock = new FakeClock();
    const cache = new PageCache(clock, () => undefined, { maxEntries: 10, maxChars: 10_000, ttlMs: 1000 });
    cache.json('a', () => 'x'.repeat(98));
    clock.advance(2000);
    cache.json('a', () => 'x'.repeat(98));
    assert.deepEqual(cache.size, { entries: 1, chars: 100 });
  });
});
