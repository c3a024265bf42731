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

describe('sampled feed: progress pairs never straddle a skip', () => {
  // A flood's counter ([N] below) seen in short analysed runs with skipped stretches
  // between them: a pair whose halves lay on both sides of a skip saw the counter
  // jump by the skipped lines, varying from skip to skip, and read as progress —
  // which kept a print flood (R01) from ever being judged a loop.
  const line = (n: number) => `[${n}] Processing item ${n % 7} at 0x${(n * 2654435761 % 0xffffffffff).toString(16)} with value 0.${String(n * 7919 % 100000).padStart(5, '0')}`;
  // Real clock values: a number near "now" in ms or s would be taken for a clock.
  const T0 = 1_700_000_000_000;
  /** `runLength(step)`: how many consecutive lines are read before the next skip (the budget decides this). */
  const flood = (runLength: (step: number) => number) => {
    const d = new Detector(profileThresholds('standard'), T0);
    let n = 1;
    let snap: SignalSnapshot = d.snapshot(T0);
    for (let step = 1; step <= 200; step++) {
      const t = T0 + step * 100;
      let text = '';
      for (let k = runLength(step); k > 0; k--) text += line(n++) + '\n';
      d.observeOutput('stdout', Buffer.from(text), t);
      const skipped = 500 + ((step * 37) % 400); // a different stretch each time, as the budget allows
      d.observeCounted('stdout', skipped * 60, skipped, t + 50);
      n += skipped;
      if (step % 10 === 0) snap = d.snapshot(t + 60);
    }
    return snap.output;
  };

  it('a counter read in short runs between skips, some a single line (the budget ran out after it), is a bare counter, not progress', () => {
    // Pairs start every 500 ms (a fortieth of the progress window): here at steps 2, 7, 12, ...,
    // each on a run of a single line, so every pair would straddle a skip.
    const out = flood((step) => (step % 5 === 2 ? 1 : 3));
    assert.equal(out.progressKnown, true, out.progressDetail);
    assert.ok(out.progress <= 0.5, `progress ${out.progress}: ${out.progressDetail}`);
    assert.match(out.progressDetail, /the same step/);
  });

  it('near miss: the same counter read in full (no skips) is the same bare counter', () => {
    const d = new Detector(profileThresholds('standard'), 0);
    let snap: SignalSnapshot = d.snapshot(T0);
    for (let step = 1, n = 1; step <= 200; step++) {
      let text = '';
      for (let k = 0; k < 50; k++) text += line(n++) + '\n';
      d.observeOutput('stdout', Buffer.from(text), T0 + step * 100);
      if (step % 10 === 0) snap = d.snapshot(T0 + step * 100 + 10);
    }
    assert.ok(snap.output.progress <= 0.5, snap.output.progressDetail);
    assert.match(snap.output.progressDetail, /the same step/);
  });
});
