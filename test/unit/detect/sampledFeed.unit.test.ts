// The sampled feed: every byte counted, lines analysed within a budget, always
// cut at line boundaries, and the signals the rules judge unchanged.
import { strict as assert } from 'node:assert';
import { Detector } from '../../../server/detect/detector';
import { SampledFeed, type FeedTarget } from '../../../server/detect/sampledFeed';
import type { SignalSnapshot, StreamName } from '../../../server/detect/types';
import { profileThresholds } from '../../../server/policy/profiles';

/** Feeds `seconds` of output at `perSecond` lines in 64 KB-ish chunks (cut mid-line), a snapshot each second. */
function drive(target: { feed(s: StreamName, c: Buffer, t: number): void }, snap: (t: number) => SignalSnapshot, perSecond: number, seconds: number, line: (i: number) => string) {
  let i = 0;
  let carry = '';
  const snaps: SignalSnapshot[] = [];
  for (let s = 0; s < seconds; s++) {
    const chunksPerSecond = 100;
    for (let c = 0; c < chunksPerSecond; c++) {
      const t = s * 1000 + c * 10;
      let text = carry;
      for (let k = 0; k < perSecond / chunksPerSecond; k++) text += line(i++) + '\n';
      // Cut a few bytes short of the end so that chunks split lines, as pipe reads do.
      const cut = Math.max(0, text.length - 3);
      carry = text.slice(cut);
      target.feed('stdout', Buffer.from(text.slice(0, cut)), t);
    }
    snaps.push(snap((s + 1) * 1000));
  }
  return { snaps, lines: i };
}

const th = profileThresholds('standard');
const cycle = (i: number) => [`Applying fix to src/parser.ts (attempt ${i})`, 'Running: npm test', 'FAIL parser.spec.ts: expected 3 tokens'][i % 3]!;

function pair(perSecond: number, seconds: number, line: (i: number) => string) {
  const full = new Detector(th, 0);
  const sampledDetector = new Detector(th, 0);
  const feed = new SampledFeed(sampledDetector);
  const a = drive({ feed: (s, c, t) => full.observeOutput(s, c, t) }, (t) => full.snapshot(t), perSecond, seconds, line);
  const b = drive(feed, (t) => sampledDetector.snapshot(t), perSecond, seconds, line);
  return { full: a.snaps, sampled: b.snaps, feed, lines: a.lines };
}

describe('sampled feed', () => {
  it('a job printing at a log pace is analysed in full: identical snapshots', () => {
    const { full, sampled, feed } = pair(20_000, 5, cycle);
    assert.equal(feed.skippedLines, 0);
    assert.deepEqual(sampled, full);
  });

  it('a fast printer: totals, rate and deltas exact; repetition and cycle as with full analysis; analysis within budget', () => {
    const { full, sampled, feed } = pair(600_000, 6, cycle);
    assert.ok(feed.skippedLines > 0, 'sampling engaged');
    // Budget: 100k units/s plus a burst of 200k; a line of ~40 bytes costs ~1.16 units.
    assert.ok(feed.analysedLines <= 200_000 + 6 * 100_000, `analysed ${feed.analysedLines}`);
    for (let k = 0; k < full.length; k++) {
      const f = full[k]!.output;
      const s = sampled[k]!.output;
      assert.equal(s.linesTotal, f.linesTotal, 'every line counted');
      assert.equal(s.bytesTotal, f.bytesTotal, 'every byte counted');
      assert.equal(s.linesDelta, f.linesDelta);
      assert.equal(s.rate, f.rate);
      assert.equal(s.silenceMs, f.silenceMs);
    }
    const f = full[full.length - 1]!.output;
    const s = sampled[sampled.length - 1]!.output;
    assert.ok(Math.abs(s.repetition - f.repetition) < 0.01, `repetition ${s.repetition} vs ${f.repetition}`);
    assert.equal(s.cycleLength, f.cycleLength);
    assert.deepEqual([...s.templates].sort(), [...f.templates].sort());
    assert.ok(s.repetitiveForMs > 0 && s.repetitiveForMs === f.repetitiveForMs);
  });

  it('a fast printer of unique lines keeps its novelty share', function () {
    this.timeout(60_000); // the full-analysis side is the slow one
    const unique = (i: number) => `tests/unit/test_${(i * 2654435761) >>> 0}.py::test_case_${(i * 40503) >>> 0} PASSED`;
    const { full, sampled, feed } = pair(200_000, 3, unique);
    assert.ok(feed.skippedLines > 0);
    const f = full[full.length - 1]!.output;
    const s = sampled[sampled.length - 1]!.output;
    assert.ok(Math.abs(s.novelShare - f.novelShare) < 0.05, `novel share ${s.novelShare} vs ${f.novelShare}`);
    assert.ok(s.repetition < th.repetition);
  });

  it('the detector only ever sees whole lines around a gap', () => {
    const seen: string[] = [];
    let analysed = '';
    const target: FeedTarget = {
      observeOutput: (_s, c) => (analysed += c.toString()),
      observeCounted: () => {
        // A gap: what was analysed so far must end at a line end.
        if (analysed) {
          assert.ok(analysed.endsWith('\n'), `cut mid-line: ${JSON.stringify(analysed.slice(-20))}`);
          seen.push(...analysed.split('\n').filter(Boolean));
          analysed = '';
        }
      },
    };
    const feed = new SampledFeed(target, { unitsPerSecond: 10_000, burstUnits: 1_000 });
    drive(feed, () => ({}) as SignalSnapshot, 300_000, 2, (i) => `line ${i} ok`);
    seen.push(...analysed.split('\n').filter(Boolean));
    assert.ok(seen.length > 100);
    for (const l of seen) assert.match(l, /^line \d+ ok$/);
  });

  it('output without newlines passes through (the detector keeps a capped prefix) and is counted', () => {
    const d = new Detector(th, 0);
    const feed = new SampledFeed(d, { unitsPerSecond: 1, burstUnits: 1 });
    const block = Buffer.alloc(65536, 0x41);
    for (let k = 0; k < 100; k++) feed.feed('stdout', block, k);
    const s = d.snapshot(1000).output;
    assert.equal(s.bytesTotal, 100 * 65536);
    assert.equal(s.linesTotal, 0);
  });
});
