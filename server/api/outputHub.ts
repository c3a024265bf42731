// Recent output per run, for GET /v1/runs/{id}/output and the stream's
// `output` events. Kept cheap on the hot path (a job may print 500k lines/s):
// a chunk is decoded and appended to a bounded tail; splitting into lines,
// removing ANSI escapes and redaction happen when someone reads. Live
// subscribers get the output gathered every LIVE_FLUSH_MS and capped at
// LIVE_BYTES_PER_FLUSH: a flood would otherwise cost a redaction and an SSE
// write per chunk, for a terminal that cannot show it anyway.
//
// Every byte of a run's output has an offset (one count per run, stdout and
// stderr together): live events say which bytes they carry, and a reader that
// has shown everything before offset N asks for the rest with `since(N)`.
// That is how a terminal attaches mid-run, or after a reconnect, and shows
// every byte exactly once without comparing text.
import { StringDecoder } from 'node:string_decoder';
import type { OutputEvent } from '../engine/events';
import type { OutputChunk, StreamOutput } from '../shared/protocol/api';
import { displayLine } from '../shared/displayLine';
import { redact, RedactionBudget } from '../shared/redact';

type StreamName = 'stdout' | 'stderr';

export interface OutputLimits {
  /** Bytes of text kept per run. */
  maxBytes: number;
  /** Lines a read returns at most. */
  maxLines: number;
  /** Runs kept; the least recently written run is forgotten first. */
  maxRuns: number;
  /**
   * Milliseconds one live flush may spend redacting; what is left after that
   * is withheld with a marker (never sent unredacted), so a flood of odd
   * output cannot hold the event loop that also samples and kills.
   */
  redactMsPerFlush: number;
}

export const DEFAULT_OUTPUT_LIMITS: OutputLimits = { maxBytes: 64 * 1024, maxLines: 200, maxRuns: 64, redactMsPerFlush: 20 };

const LIVE_FLUSH_MS = 50;
/** 64 KB every 50 ms: 1.3 MB/s per run, more than any terminal shows. */
const LIVE_BYTES_PER_FLUSH = 64 * 1024;

/**
 * A stretch of one run's output. Offsets count the bytes of the run's output
 * as UTF-8, stdout and stderr together in the order they came; for valid
 * UTF-8 that is exactly the bytes the job wrote (an invalid byte counts as
 * the 3 bytes of the U+FFFD that replaces it).
 */
interface Segment {
  stream: StreamName;
  text: string;
  /** Offset of the segment's first byte in the run's output. */
  offset: number;
  bytes: number;
}

/** The end of `text` after its first `n` bytes, cut at a character boundary at or after byte `n`. */
function afterBytes(text: string, bytes: number, n: number): { text: string; bytes: number } {
  if (n <= 0) return { text, bytes };
  if (n >= bytes) return { text: '', bytes: 0 };
  if (text.length === bytes) return { text: text.slice(n), bytes: bytes - n };
  const buf = Buffer.from(text, 'utf8');
  let cut = n;
  while (cut < buf.length && (buf[cut]! & 0xc0) === 0x80) cut++;
  return { text: buf.subarray(cut).toString('utf8'), bytes: buf.length - cut };
}

/** The first `n` bytes of `text`, cut at a character boundary at or before byte `n`. */
function firstBytes(text: string, bytes: number, n: number): { text: string; bytes: number } {
  if (n >= bytes) return { text, bytes };
  if (text.length === bytes) return { text: text.slice(0, n), bytes: n };
  const buf = Buffer.from(text, 'utf8');
  let cut = n;
  while (cut > 0 && (buf[cut]! & 0xc0) === 0x80) cut--;
  return { text: buf.subarray(0, cut).toString('utf8'), bytes: cut };
}

/** What live subscribers of one run get next: ordered segments, capped per flush. */
class LiveBatch {
  segments: Segment[] = [];
  bytes = 0;
  /** Bytes left out past the cap, from `droppedFrom` on (contiguous: once full, everything is left out). */
  dropped = 0;
  droppedFrom = 0;
  timer: NodeJS.Timeout | null = null;

  add(seg: Segment): void {
    const room = this.dropped > 0 ? 0 : LIVE_BYTES_PER_FLUSH - this.bytes;
    const kept = firstBytes(seg.text, seg.bytes, Math.max(0, room));
    if (kept.bytes < seg.bytes) {
      if (this.dropped === 0) this.droppedFrom = seg.offset + kept.bytes;
      this.dropped += seg.bytes - kept.bytes;
    }
    if (!kept.bytes) return;
    const last = this.segments[this.segments.length - 1];
    if (last && last.stream === seg.stream) {
      last.text += kept.text;
      last.bytes += kept.bytes;
    } else this.segments.push({ stream: seg.stream, text: kept.text, offset: seg.offset, bytes: kept.bytes });
    this.bytes += kept.bytes;
  }
}

class RunTail {
  segments: Segment[] = [];
  /** Offset of the oldest byte kept. */
  start = 0;
  /** Offset just past the newest byte: the run's output so far. */
  end = 0;
  readonly decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };

  get truncated(): boolean {
    return this.start > 0;
  }

  /** Appends and returns the new segment (offset and size), or null for no text. */
  append(stream: StreamName, text: string, max: number): Segment | null {
    if (!text) return null;
    const seg: Segment = { stream, text, offset: this.end, bytes: Buffer.byteLength(text, 'utf8') };
    this.end += seg.bytes;
    const last = this.segments[this.segments.length - 1];
    if (last && last.stream === stream && last.text.length < 4096) {
      last.text += text;
      last.bytes += seg.bytes;
    } else this.segments.push({ ...seg });
    while (this.end - this.start > max && this.segments.length > 0) {
      const first = this.segments[0]!;
      const excess = this.end - this.start - max;
      if (first.bytes <= excess) {
        this.segments.shift();
        this.start += first.bytes;
      } else {
        const rest = afterBytes(first.text, first.bytes, excess);
        this.start += first.bytes - rest.bytes;
        first.offset += first.bytes - rest.bytes;
        first.text = rest.text;
        first.bytes = rest.bytes;
      }
    }
    return seg;
  }

  /** The kept output from byte `after` on (from the oldest kept byte when `after` was dropped), consecutive same-stream segments joined. */
  from(after: number): OutputChunk[] {
    const out: OutputChunk[] = [];
    for (const seg of this.segments) {
      if (seg.offset + seg.bytes <= after) continue;
      const skip = Math.max(0, after - seg.offset);
      const rest = afterBytes(seg.text, seg.bytes, skip);
      if (!rest.bytes) continue;
      const offset = seg.offset + seg.bytes - rest.bytes;
      const last = out[out.length - 1];
      if (last && last.stream === seg.stream) last.text += rest.text;
      else out.push({ stream: seg.stream, offset, text: rest.text });
    }
    return out;
  }
}

export interface RecentOutput {
  available: boolean;
  truncated: boolean;
  lines: { stream: StreamName; text: string }[];
  /** Offset of the oldest byte still kept. */
  offset: number;
  /** Offset just past the newest byte. */
  end: number;
}

export interface OutputSince {
  available: boolean;
  /** The bytes from `after` to `offset` were already dropped from the bounded buffer. */
  truncated: boolean;
  /** Where `chunks` begin: `after`, or later when truncated (or when `after` fell inside a character). */
  offset: number;
  end: number;
  chunks: OutputChunk[];
}

export class OutputHub {
  private readonly tails = new Map<string, RunTail>();
  private readonly listeners = new Map<string, Set<(o: StreamOutput) => void>>();
  private readonly live = new Map<string, LiveBatch>();
  private readonly limits: OutputLimits;

  constructor(limits: Partial<OutputLimits> = {}) {
    this.limits = { ...DEFAULT_OUTPUT_LIMITS, ...limits };
  }

  /** For the engine's `output` events. */
  readonly onOutput = (e: OutputEvent): void => {
    const tail = this.tailOf(e.run_id);
    const text = tail.decoders[e.stream].write(e.chunk);
    this.add(e.run_id, e.stream, text, tail);
  };

  /** Lines a watched terminal command printed (POST /v1/runs/{id}/lines). */
  addLines(runId: string, lines: readonly string[]): void {
    if (lines.length) this.add(runId, 'stdout', lines.join('\n') + '\n', this.tailOf(runId));
  }

  /** Live output of one run, redacted per chunk. */
  subscribe(runId: string, fn: (o: StreamOutput) => void): () => void {
    let set = this.listeners.get(runId);
    if (!set) this.listeners.set(runId, (set = new Set()));
    set.add(fn);
    return () => {
      set.delete(fn);
      if (set.size === 0) this.listeners.delete(runId);
    };
  }

  /** The newest `limit` lines (stdout and stderr in the order they came), redacted; and the offsets the buffer spans. */
  recent(runId: string, limit = this.limits.maxLines): RecentOutput {
    const tail = this.tails.get(runId);
    if (!tail) return { available: false, truncated: false, lines: [], offset: 0, end: 0 };
    const lines: { stream: StreamName; text: string }[] = [];
    const partial: Record<StreamName, string> = { stdout: '', stderr: '' };
    for (const seg of tail.segments) {
      const parts = (partial[seg.stream] + seg.text).split('\n');
      partial[seg.stream] = parts.pop()!;
      for (const p of parts) lines.push({ stream: seg.stream, text: p });
    }
    for (const stream of ['stdout', 'stderr'] as const) if (partial[stream]) lines.push({ stream, text: partial[stream] });
    const n = Math.min(limit, this.limits.maxLines);
    const kept = lines.slice(-n);
    return {
      available: true,
      truncated: tail.truncated || kept.length < lines.length,
      lines: kept.map((l) => ({ stream: l.stream, text: redact(displayLine(l.text)) })),
      offset: tail.start,
      end: tail.end,
    };
  }

  /**
   * The run's output from byte `after` on, as it came (escapes kept), redacted:
   * what a terminal that has shown everything before `after` writes next. Live
   * output gathered so far goes out to subscribers first, so a live event never
   * straddles the `end` of this answer. Null when `after` lies past the output.
   */
  since(runId: string, after: number): OutputSince | null {
    const tail = this.tails.get(runId);
    if (!tail) return after === 0 ? { available: false, truncated: false, offset: 0, end: 0, chunks: [] } : null;
    if (after > tail.end) return null;
    this.flushLive(runId);
    const chunks = tail.from(after).map((c) => ({ ...c, text: redact(c.text) }));
    const offset = chunks[0]?.offset ?? tail.end;
    return { available: true, truncated: after < tail.start, offset, end: tail.end, chunks };
  }

  private add(runId: string, stream: StreamName, text: string, tail: RunTail): void {
    const seg = tail.append(stream, text, this.limits.maxBytes);
    if (!this.listeners.has(runId) || !seg) return;
    let batch = this.live.get(runId);
    if (!batch) this.live.set(runId, (batch = new LiveBatch()));
    batch.add(seg);
    batch.timer ??= setTimeout(() => this.flushLive(runId), LIVE_FLUSH_MS);
  }

  /** Sends a run's gathered live output now (also called before that run's journal events). */
  flushLive(runId: string): void {
    const batch = this.live.get(runId);
    if (!batch) return;
    if (batch.timer) clearTimeout(batch.timer);
    this.live.delete(runId);
    const set = this.listeners.get(runId);
    if (!set) return;
    const budget = new RedactionBudget(this.limits.redactMsPerFlush);
    const out: StreamOutput[] = batch.segments.map((seg) => {
      const text = budget.redact(seg.text);
      const at = { run_id: runId, stream: seg.stream, offset: seg.offset, end: seg.offset + seg.bytes };
      if (text !== null) return { ...at, text, skipped: false };
      // Out of redaction time for this flush: a marker stands in (never the unredacted text), offsets stay contiguous.
      const note = `\n[flowforge: ${seg.text.length} characters of output withheld here: redacting them would have taken more than ${this.limits.redactMsPerFlush} ms]\n`;
      return { ...at, text: note, skipped: true };
    });
    if (batch.dropped > 0) {
      // Stands in for the bytes left out, so the offsets a subscriber sees stay contiguous.
      const note = `\n[flowforge: ${batch.dropped} bytes of output not shown here: the job prints faster than this view follows]\n`;
      out.push({ run_id: runId, stream: 'stderr', text: note, offset: batch.droppedFrom, end: batch.droppedFrom + batch.dropped, skipped: true });
    }
    for (const o of out) for (const fn of set) fn(o);
  }

  private tailOf(runId: string): RunTail {
    let tail = this.tails.get(runId);
    if (tail) {
      // Most recently written last, so the first entry is the one to forget.
      this.tails.delete(runId);
      this.tails.set(runId, tail);
      return tail;
    }
    tail = new RunTail();
    this.tails.set(runId, tail);
    for (const oldest of this.tails.keys()) {
      if (this.tails.size <= this.limits.maxRuns) break;
      this.tails.delete(oldest);
    }
    return tail;
  }
}
