// Recent output per run, for GET /v1/runs/{id}/output and the stream's
// `output` events. Kept cheap on the hot path (a job may print 500k lines/s):
// a chunk is decoded and appended to a bounded tail; splitting into lines,
// removing ANSI escapes and redaction happen when someone reads. Live
// subscribers get the output gathered every LIVE_FLUSH_MS and capped at
// LIVE_BYTES_PER_FLUSH: a flood would otherwise cost a redaction and an SSE
// write per chunk, for a terminal that cannot show it anyway.
import { StringDecoder } from 'node:string_decoder';
import type { OutputEvent } from '../engine/events';
import type { StreamOutput } from '../shared/protocol/api';
import { displayLine } from '../shared/displayLine';
import { redact } from '../shared/redact';

type StreamName = 'stdout' | 'stderr';

export interface OutputLimits {
  /** Bytes of text kept per run. */
  maxBytes: number;
  /** Lines a read returns at most. */
  maxLines: number;
  /** Runs kept; the least recently written run is forgotten first. */
  maxRuns: number;
}

export const DEFAULT_OUTPUT_LIMITS: OutputLimits = { maxBytes: 64 * 1024, maxLines: 200, maxRuns: 64 };

const LIVE_FLUSH_MS = 50;
/** 64 KB every 50 ms: 1.3 MB/s per run, more than any terminal shows. */
const LIVE_BYTES_PER_FLUSH = 64 * 1024;

interface Segment {
  stream: StreamName;
  text: string;
}

/** What live subscribers of one run get next: ordered segments, capped per flush. */
class LiveBatch {
  segments: Segment[] = [];
  bytes = 0;
  dropped = 0;
  timer: NodeJS.Timeout | null = null;

  add(stream: StreamName, text: string): void {
    const room = LIVE_BYTES_PER_FLUSH - this.bytes;
    if (text.length > room) {
      this.dropped += text.length - room;
      text = text.slice(0, room);
    }
    if (!text) return;
    const last = this.segments[this.segments.length - 1];
    if (last && last.stream === stream) last.text += text;
    else this.segments.push({ stream, text });
    this.bytes += text.length;
  }
}

class RunTail {
  segments: Segment[] = [];
  bytes = 0;
  truncated = false;
  readonly decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };

  append(stream: StreamName, text: string, max: number): void {
    if (!text) return;
    const last = this.segments[this.segments.length - 1];
    if (last && last.stream === stream && last.text.length < 4096) last.text += text;
    else this.segments.push({ stream, text });
    this.bytes += text.length;
    while (this.bytes > max && this.segments.length > 0) {
      const first = this.segments[0]!;
      const excess = this.bytes - max;
      this.truncated = true;
      if (first.text.length <= excess) {
        this.segments.shift();
        this.bytes -= first.text.length;
      } else {
        first.text = first.text.slice(excess);
        this.bytes -= excess;
      }
    }
  }
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

  /** The newest `limit` lines (stdout and stderr in the order they came), redacted. */
  recent(runId: string, limit = this.limits.maxLines): { available: boolean; truncated: boolean; lines: { stream: StreamName; text: string }[] } {
    const tail = this.tails.get(runId);
    if (!tail) return { available: false, truncated: false, lines: [] };
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
    };
  }

  private add(runId: string, stream: StreamName, text: string, tail: RunTail): void {
    tail.append(stream, text, this.limits.maxBytes);
    if (!this.listeners.has(runId) || !text) return;
    let batch = this.live.get(runId);
    if (!batch) this.live.set(runId, (batch = new LiveBatch()));
    batch.add(stream, text);
    batch.timer ??= setTimeout(() => this.flushLive(runId), LIVE_FLUSH_MS);
  }

  /** Sends a run's gathered live output now (also called before that run's journal events). */
  flushLive(runId: string): void {
    const batch = this.live.get(runId);
    if (!batch) return;
    if (batch.timer) clearTimeout(batch.timer);
    this.live.delete(runId);
    const set = this.listeners.get(runId);
    if (!batch || !set) return;
    const out: StreamOutput[] = batch.segments.map((seg) => ({ run_id: runId, stream: seg.stream, text: redact(seg.text) }));
    if (batch.dropped > 0) {
      const note = `\n[flowforge: ${batch.dropped} bytes of output not shown here: the job prints faster than this view follows]\n`;
      out.push({ run_id: runId, stream: 'stderr', text: note });
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
