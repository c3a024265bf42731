// One run's detector: fed every output chunk (the hot path) and one resource
// reading per tick, it answers a SignalSnapshot per tick. Pure: time only
// comes in as arguments.
//
// Output bookkeeping happens per line, cheaply: split on '\n' with
// Buffer.indexOf, keep the last '\r' frame, hash the template while masking,
// count it in the current bucket, and compare its hash with the 5 previous
// lines of the same stream (cycles of up to 5 lines). Everything else (shares,
// rates, progress scoring) is computed once per snapshot from bounded buckets.
import { CycleTracker } from './cycles';
import { BLANK_HASH, LineNormalizer, stripAnsi } from './normalize';
import { ProgressSampler, type ProgressFinding } from './progress';
import { ResourceSignals } from './resources';
import { matchUnit, NO_SIGNATURES, signatureOf, textHash, type KnownSignature, type SignatureInputs, type SignatureMatch } from './signatures';
import { isGap, Stretch } from './stretch';
import { TemplateTable, type TemplateStat } from './templates';
import type { DetectionThresholds, ResourceReading, SignalSnapshot, StreamName } from './types';

const MAX_CYCLE = 5;
const MAX_BUCKETS = 256;
/** Distinct templates remembered per bucket for shares; a bucket with more is all novelty anyway. */
const MAX_ACTIVE_PER_BUCKET = 2048;
/** Raw evidence lines materialised per bucket (a string per template per tick at most). */
const MAX_SAMPLES_PER_BUCKET = 64;
/** Below this many lines in the window, repetition is not judged. */
const MIN_LINES_FOR_REPETITION = 3;
const NOVELTY_PER_MINUTE_WINDOW_MS = 60_000;
/** Of the last 5 snapshots, this many not repetitive end a repetitive stretch. */
const MISSES_TO_RESET = 2;
/** A template's numbers are sampled once it has repeated this often, for at most MAX_SAMPLERS templates. */
const SAMPLE_FROM_COUNT = 4;
const MAX_SAMPLERS = 256;
/** A template with a masked value in it (see normalize.ts). */
const HAS_VALUE = /<(N|HEX|UUID|ID)>/;
const NO_NUMBERS: ProgressFinding = { score: 0, kind: 'none', detail: 'the line has no numbers' };
/**
 * Once the output showed a signature a person allowed, loop rules stay quiet
 * this long after the last sighting: a tick that falls between two cycles of
 * the allowed loop (a restart, a pause) must not let a stop through.
 */
const ALLOWED_STICKY_MS = 10_000;

interface Bucket {
  seq: number;
  startT: number;
  endT: number;
  lines: number;
  /** Blank lines (counted in the rate, not in repetition or novelty). */
  blank: number;
  /** Lines only counted, not analysed (a sampled fast stream): in the rate and totals only. */
  counted: number;
  bytes: number;
  newTemplates: number;
  /** matches[k]: stdout lines equal (by template) to the line k before them on stdout; matchesErr the same for stderr. */
  matches: Int32Array;
  matchesErr: Int32Array;
  /** Non-blank analysed stderr lines (the rest of lines - blank are stdout's). */
  errContent: number;
  active: TemplateStat[];
  /** Lines per active template, filled when the bucket is sealed. */
  counts: number[];
  samples: number;
}

class StreamState {
  partial: Buffer;
  partialLen = 0;
  lastByteT = -Infinity;
  /** The template hashes of this stream's last lines (ring) and how many lines it has had. */
  readonly recent = new Int32Array(8);
  seen = 0;
  /**
   * Long cycles (2..512 lines) of this stream. Each stream's part of a cycle that
   * spans both is itself a cycle; following them apart is immune to the order in
   * which the two pipes happen to be read.
   */
  readonly cycles = new CycleTracker();

  constructor(
    maxLineBytes: number,
    readonly isErr: boolean,
  ) {
    this.partial = Buffer.alloc(maxLineBytes);
  }
}

export class Detector {
  private readonly norm: LineNormalizer;
  private readonly table: TemplateTable;
  private readonly streams: Record<StreamName, StreamState>;
  private readonly resources: ResourceSignals;
  private readonly buckets: Bucket[] = [];
  private cur: Bucket;
  private linesTotal = 0;
  private bytesTotal = 0;
  private lastOutputT: number;
  private lastSnapT: number | null = null;
  private snapInterval: number | null = null;
  private readonly repetitive = new Stretch(MISSES_TO_RESET);
  private readonly slotMs: number;
  private samplers = 0;
  /**
   * How many times the feed skipped output (counted it without reading it). A
   * progress pair is two consecutive lines of a template: one whose halves lie
   * on both sides of a skip would see a counter jump by however many lines were
   * skipped, and a plain counter would pass for progress.
   */
  private skips = 0;
  /** The allowed signature seen last, and when. */
  private allowedSeen: { sig: KnownSignature; t: number } | null = null;

  constructor(
    private readonly th: DetectionThresholds,
    private readonly startedAt: number,
  ) {
    this.norm = new LineNormalizer(th.maxLineBytes);
    this.table = new TemplateTable(th.maxTemplates);
    this.streams = { stdout: new StreamState(th.maxLineBytes, false), stderr: new StreamState(th.maxLineBytes, true) };
    this.resources = new ResourceSignals(th, startedAt);
    this.cur = newBucket(0, startedAt);
    this.lastOutputT = startedAt;
    this.slotMs = th.progressWindowMs / 40;
  }

  // ---------------------------------------------------------------- output (hot path)

  observeOutput(stream: StreamName, chunk: Buffer, t: number): void {
    const st = this.streams[stream];
    const n = chunk.length;
    if (n === 0) return;
    this.bytesTotal += n;
    this.cur.bytes += n;
    st.lastByteT = t;
    if (t > this.lastOutputT) this.lastOutputT = t;
    const hasCR = chunk.indexOf(13) !== -1;
    let pos = 0;
    if (st.partialLen > 0) {
      const nl = chunk.indexOf(10);
      if (nl === -1) {
        this.appendPartial(st, chunk, 0, n, hasCR);
        return;
      }
      this.appendPartial(st, chunk, 0, nl, hasCR);
      this.line(st, st.partial, 0, st.partialLen, t, true);
      st.partialLen = 0;
      pos = nl + 1;
    }
    for (;;) {
      const nl = chunk.indexOf(10, pos);
      if (nl === -1) break;
      this.line(st, chunk, pos, nl, t, hasCR);
      pos = nl + 1;
    }
    if (pos < n) this.appendPartial(st, chunk, pos, n, hasCR);
  }

  /** Output the feed counted without analysing it (see sampledFeed.ts): rate, totals and silence see it. */
  observeCounted(stream: StreamName, bytes: number, lines: number, t: number): void {
    if (lines > 0) this.skips++;
    this.bytesTotal += bytes;
    this.cur.bytes += bytes;
    this.linesTotal += lines;
    this.cur.counted += lines;
    this.streams[stream].lastByteT = t;
    if (t > this.lastOutputT) this.lastOutputT = t;
  }

  /** Analyses a trailing line without newline once its stream has been quiet for partialLineMs. */
  flushPartial(t: number): void {
    for (const st of Object.values(this.streams)) {
      if (st.partialLen > 0 && t - st.lastByteT >= this.th.partialLineMs) {
        this.line(st, st.partial, 0, st.partialLen, t, true);
        st.partialLen = 0;
      }
    }
  }

  /** Keeps the current '\r' frame of an unfinished line, capped at maxLineBytes. */
  private appendPartial(st: StreamState, buf: Buffer, s: number, e: number, hasCR: boolean): void {
    if (hasCR) {
      // Only a '\r' with something after it starts a new frame; a last '\r' may be half of "\r\n".
      for (let p = e - 2; p >= s; p--) {
        if (buf[p] === 13) {
          st.partialLen = 0;
          s = p + 1;
          break;
        }
      }
    }
    const room = st.partial.length - st.partialLen;
    const take = Math.min(room, e - s);
    if (take > 0) {
      buf.copy(st.partial, st.partialLen, s, s + take);
      st.partialLen += take;
    }
  }

  private line(st: StreamState, buf: Uint8Array, s: number, e: number, t: number, hasCR: boolean): void {
    if (hasCR) {
      if (e > s && buf[e - 1] === 13) e--;
      for (let p = e - 1; p >= s; p--) {
        if (buf[p] === 13) {
          s = p + 1;
          break;
        }
      }
    }
    if (e - s > this.th.maxLineBytes) e = s + this.th.maxLineBytes;
    const h = this.norm.hash(buf, s, e);
    const b = this.cur;
    b.lines++;
    this.linesTotal++;
    if (h === BLANK_HASH) {
      b.blank++; // no information: not part of repetition, novelty or templates
      return;
    }

    let tpl = this.table.get(h);
    if (tpl === undefined) {
      if (this.table.full) b.newTemplates++;
      else {
        const added = this.table.add(h, this.norm.template(buf, s, e), t);
        tpl = added.stat;
        if (added.isNew) b.newTemplates++;
      }
    }
    if (tpl !== undefined) {
      tpl.count++;
      tpl.lastSeenT = t;
      if (tpl.bucketSeq !== b.seq) {
        tpl.bucketSeq = b.seq;
        tpl.bucketCount = 0;
        if (b.active.length < MAX_ACTIVE_PER_BUCKET) b.active.push(tpl);
        if (b.samples < MAX_SAMPLES_PER_BUCKET) {
          b.samples++;
          tpl.sample = stripAnsi(buf, s, e);
        }
      }
      tpl.bucketCount++;
      if ((tpl.pairPending || t >= tpl.nextSlotT) && tpl.count >= SAMPLE_FROM_COUNT && h === tpl.fieldsHash) {
        this.sampleFields(tpl, buf, s, e, t);
      }
    }

    // Cycles of up to 5 lines: is this line's template the one k lines back?
    const key = tpl === undefined ? h : tpl.key;
    const ring = st.recent;
    const seen = st.seen;
    const m = st.isErr ? b.matchesErr : b.matches;
    if (st.isErr) b.errContent++;
    const lim = seen < MAX_CYCLE ? seen : MAX_CYCLE;
    for (let k = 1; k <= lim; k++) if (ring[(seen - k) & 7] === key) m[k]!++;
    ring[seen & 7] = key;
    st.seen = seen + 1;

    // Long cycles: where in this stream was this template last seen?
    const cycles = st.cycles;
    if (tpl === undefined) cycles.push(key, -1, t);
    else if (st.isErr) {
      const last = tpl.lastPosErr;
      tpl.lastPosErr = cycles.position;
      cycles.push(key, last, t);
    } else {
      const last = tpl.lastPosOut;
      tpl.lastPosOut = cycles.position;
      cycles.push(key, last, t);
    }
  }

  /** Reads the numbers of a sampled line: the first line of a slot, or the line completing its pair. */
  private sampleFields(tpl: TemplateStat, buf: Uint8Array, s: number, e: number, t: number): void {
    if (tpl.sampler === null && this.samplers >= MAX_SAMPLERS) return;
    const n = this.norm.fields(buf, s, e);
    if (tpl.sampler === null) {
      tpl.sampler = new ProgressSampler(n);
      this.samplers++;
    }
    if (tpl.sampler.fieldCount !== n) return; // a hash collision between two templates: skip
    if (tpl.pairPending && tpl.pairSkips === this.skips) {
      tpl.sampler.complete(this.norm.values, tpl.count);
      tpl.pairPending = false;
    } else {
      // A new slot, or a pair whose first line came before a skip: this line starts it afresh.
      tpl.sampler.start(this.norm.values, this.norm.flags, t, tpl.count);
      tpl.pairPending = true;
      tpl.pairSkips = this.skips;
      tpl.nextSlotT = t + this.slotMs;
    }
  }

  // ---------------------------------------------------------------- resources

  observeResources(reading: ResourceReading): void {
    this.resources.observe(reading);
  }

  // ---------------------------------------------------------------- snapshot (once per tick)

  /** `known`: the learned and allowed signatures of the job's scope (data the engine passes in). */
  snapshot(t: number, known: SignatureInputs = NO_SIGNATURES): SignalSnapshot {
    if (this.lastSnapT !== null) {
      const dt = t - this.lastSnapT;
      // After a gap (the machine slept, the clock jumped) silence starts over:
      // quiet time nobody watched is not evidence of a silent spin.
      if (isGap(dt, this.snapInterval)) this.lastOutputT = Math.max(this.lastOutputT, t - (this.snapInterval ?? 1_000));
      else this.snapInterval = dt;
    }
    this.lastSnapT = t;
    const sealed = this.seal(t);
    const recent = this.window(t, this.th.recentWindowMs);
    const minute = this.window(t, NOVELTY_PER_MINUTE_WINDOW_MS);
    const lines = recent.content;
    let repetition = 0;
    let cycle: number | null = null;
    let cycleStream: StreamState = this.streams.stdout;
    if (lines >= MIN_LINES_FOR_REPETITION) {
      // Each stream's own repetition, weighted by its lines; the cycle named is the busier stream's.
      const out = this.streamRepetition(this.streams.stdout, recent.matches, lines - recent.errContent);
      const err = this.streamRepetition(this.streams.stderr, recent.matchesErr, recent.errContent);
      repetition = (out.share * (lines - recent.errContent) + err.share * recent.errContent) / lines;
      const outBusier = lines - recent.errContent >= recent.errContent;
      cycle = (outBusier ? out : err).cycle ?? out.cycle ?? err.cycle;
      cycleStream = (outBusier ? out.cycle !== null || err.cycle === null : err.cycle === null) ? this.streams.stdout : this.streams.stderr;
    }
    repetition = Math.min(1, repetition);
    const novelShare = lines > 0 ? recent.newTemplates / lines : 0;
    const top = recent.top;
    const progress = this.progress(top, t);
    this.repetitive.update(t, lines >= MIN_LINES_FOR_REPETITION && repetition >= this.th.repetition && novelShare <= this.th.maxNovelty);
    const repetitive = repetition >= this.th.repetition;
    const signature = repetitive && cycle !== null ? this.signatureOf(cycleStream, cycle) : null;
    // A cycle that fails somewhere (a traceback whose frames and source lines carry no failure
    // word) fails every time round: all its lines count as failing, not only the error line.
    const cycleFailing = repetitive && cycle !== null && cycle > 1 && this.cycleFails(cycleStream, cycle) ? repetition : 0;
    const learned = this.learnedMatch(known.learned, t);
    const allowed = this.allowedMatch(known.allowed, signature, t);
    for (const dropped of this.table.trim()) if (dropped.sampler) this.samplers--;

    return {
      t,
      elapsedMs: t - this.startedAt,
      cpu: this.resources.cpu(t),
      output: {
        repetition,
        cycleLength: repetitive ? cycle : null,
        signature,
        learned,
        allowed,
        novelty: (minute.newTemplates * 60_000) / Math.max(minute.spanMs, NOVELTY_PER_MINUTE_WINDOW_MS),
        novelShare,
        progress: progress.score ?? 0,
        progressKnown: progress.score !== null,
        progressDetail: progress.detail,
        rate: recent.spanMs > 0 ? ((recent.lines + recent.counted) * 1000) / recent.spanMs : 0,
        silenceMs: Math.max(0, t - this.lastOutputT),
        repetitiveForMs: this.repetitive.heldMs(t),
        linesTotal: this.linesTotal,
        bytesTotal: this.bytesTotal,
        linesDelta: sealed.lines + sealed.counted,
        bytesDelta: sealed.bytes,
        templates: top.map((x) => x.stat.text),
        templateShares: top.map((x) => x.share),
        failingShare: Math.max(cycleFailing, top.reduce((n, x) => n + (x.stat.failing ? x.share : 0), 0)),
        evidence: top.slice(0, 3).map((x) => x.stat.sample).filter((s) => s.length > 0),
      },
      memory: this.resources.memory(t),
      io: this.resources.io(t),
      tree: this.resources.tree(t),
    };
  }

  // ---------------------------------------------------------------- signatures

  /** The signature of a stream's last `period` lines, or null when it has printed fewer. */
  private signatureOf(st: StreamState, period: number): string | null {
    const c = st.cycles;
    if (!c.has(period)) return null;
    const hashes = new Uint32Array(period);
    for (let i = 0; i < period; i++) hashes[i] = this.keyHash(c.keyBack(period - i));
    return signatureOf(hashes);
  }

  /** Whether any of a stream's last `period` lines (its cycle) says something failed. */
  private cycleFails(st: StreamState, period: number): boolean {
    const c = st.cycles;
    if (!c.has(period)) return false;
    for (let i = 1; i <= period; i++) if (this.table.get(c.keyBack(i))?.failing) return true;
    return false;
  }

  /** A template key as a run-independent hash: its text's (the key is only the hash it was first seen under). */
  private keyHash(key: number): number {
    const stat = this.table.get(key);
    if (!stat) return key >>> 0;
    stat.textHash ??= textHash(stat.text);
    return stat.textHash;
  }

  /**
   * Whole cycles of a known signature at the end of a stream that printed
   * recently (0: not there): its last `period` lines carry the signature and
   * the lines before repeat with that period.
   */
  private cyclesOf(sig: KnownSignature, t: number, memo: Map<string, string | null>): number {
    let best = 0;
    for (const st of [this.streams.stdout, this.streams.stderr]) {
      if (t - st.lastByteT > this.th.recentWindowMs) continue;
      const key = `${st.isErr ? 'e' : 'o'}${sig.period}`;
      if (!memo.has(key)) memo.set(key, this.signatureOf(st, sig.period));
      if (memo.get(key) !== sig.signature) continue;
      const unit = matchUnit(sig.period);
      const run = sig.period + st.cycles.periodicRun(sig.period, 3 * unit);
      best = Math.max(best, Math.floor(run / unit));
    }
    return best;
  }

  private learnedMatch(list: readonly KnownSignature[], t: number): SignatureMatch | null {
    const memo = new Map<string, string | null>();
    let best: SignatureMatch | null = null;
    for (const sig of list) {
      const cycles = this.cyclesOf(sig, t, memo);
      if (cycles > 0 && (!best || cycles > best.cycles)) best = { ...sig, cycles };
    }
    return best;
  }

  /** An allowed signature in the output now (or within ALLOWED_STICKY_MS), or null. */
  private allowedMatch(list: readonly KnownSignature[], current: string | null, t: number): KnownSignature | null {
    const memo = new Map<string, string | null>();
    for (const sig of list) {
      if (sig.signature === current || this.cyclesOf(sig, t, memo) > 0) {
        this.allowedSeen = { sig, t };
        break;
      }
    }
    const seen = this.allowedSeen;
    if (!seen || t - seen.t > ALLOWED_STICKY_MS || !list.some((s) => s.signature === seen.sig.signature)) return null;
    return seen.sig;
  }

  /**
   * One stream's repetition over the window: the best share of lines equal to the
   * line k back (k = 1..5), or, once established, its long cycle's share.
   */
  private streamRepetition(st: StreamState, matches: Int32Array, lines: number): { share: number; cycle: number | null } {
    if (lines <= 0) return { share: 0, cycle: null };
    let best = 0;
    let cycle: number | null = null;
    for (let k = 1; k <= MAX_CYCLE; k++) best = Math.max(best, matches[k]! / lines);
    for (let k = 1; k <= MAX_CYCLE && cycle === null; k++) if (matches[k]! / lines >= best * 0.95 && best > 0) cycle = k;
    // A long cycle counts once it is established (a whole cycle repeated twice, nothing new).
    const long = st.cycles.established();
    if (long && long.share > best && best < this.th.repetition) return { share: long.share, cycle: long.period };
    return { share: best, cycle };
  }

  /** Closes the current bucket at t and opens the next one. */
  private seal(t: number): Bucket {
    const b = this.cur;
    b.endT = t;
    b.counts = b.active.map((s) => s.bucketCount);
    this.buckets.push(b);
    if (this.buckets.length > MAX_BUCKETS) this.buckets.shift();
    // Older buckets keep their counts but let go of their templates (bounded memory).
    const keepFrom = t - this.th.recentWindowMs - 1000;
    for (let i = this.buckets.length - 1; i >= 0; i--) {
      const old = this.buckets[i]!;
      if (old.endT >= keepFrom) continue;
      if (old.active.length === 0) break;
      old.active = [];
      old.counts = [];
    }
    this.cur = newBucket(b.seq + 1, t);
    return b;
  }

  private window(t: number, ms: number) {
    const from = t - ms;
    const matches = new Int32Array(MAX_CYCLE + 1);
    const matchesErr = new Int32Array(MAX_CYCLE + 1);
    let errContent = 0;
    const perTemplate = new Map<TemplateStat, number>();
    let lines = 0;
    let blank = 0;
    let counted = 0;
    let newTemplates = 0;
    let startT = t;
    for (let i = this.buckets.length - 1; i >= 0; i--) {
      const b = this.buckets[i]!;
      if (b.endT <= from) break;
      startT = b.startT;
      lines += b.lines;
      blank += b.blank;
      counted += b.counted;
      newTemplates += b.newTemplates;
      errContent += b.errContent;
      for (let k = 1; k <= MAX_CYCLE; k++) {
        matches[k]! += b.matches[k]!;
        matchesErr[k]! += b.matchesErr[k]!;
      }
      for (let j = 0; j < b.active.length; j++) {
        const s = b.active[j]!;
        perTemplate.set(s, (perTemplate.get(s) ?? 0) + b.counts[j]!);
      }
    }
    const top = [...perTemplate.entries()]
      .sort((x, y) => y[1] - x[1])
      .slice(0, 5)
      .map(([stat, n]) => ({ stat, share: lines > blank ? n / (lines - blank) : 0 }));
    return { lines, counted, content: lines - blank, errContent, newTemplates, matches, matchesErr, top, spanMs: t - startT };
  }

  /**
   * Progress of the recent output: the dominant templates' progress, weighted by
   * their share of the lines. Unknown until templates covering most lines can be judged.
   */
  private progress(top: { stat: TemplateStat; share: number }[], t: number): ProgressFinding {
    const ctx = {
      now: t,
      windowMs: this.th.progressWindowMs,
      counterIsProgress: this.th.counterIsProgress,
      minPairs: 4,
      minSpanMs: 1500,
    };
    let known = 0;
    let total = 0;
    let sum = 0;
    let lead: ProgressFinding | null = null;
    for (const { stat, share } of top) {
      total += share;
      // A template without a single masked value has nothing that could move: no
      // need to wait for samples (a rule line "------" repeated is never sampled).
      const f = stat.sampler ? stat.sampler.score(ctx) : HAS_VALUE.test(stat.text) ? null : NO_NUMBERS;
      if (!f || f.score === null) continue;
      known += share;
      sum += share * f.score;
      if (!lead || f.score > lead.score!) lead = f;
    }
    if (total === 0 || known < 0.6 * total || !lead) {
      return { score: null, kind: 'none', detail: 'not enough lines yet to judge progress' };
    }
    return { ...lead, score: sum / known };
  }
}

function newBucket(seq: number, startT: number): Bucket {
  return {
    seq,
    startT,
    endT: startT,
    lines: 0,
    blank: 0,
    counted: 0,
    bytes: 0,
    newTemplates: 0,
    matches: new Int32Array(MAX_CYCLE + 1),
    matchesErr: new Int32Array(MAX_CYCLE + 1),
    errContent: 0,
    active: [],
    counts: [],
    samples: 0,
  };
}
