// The templates a job has printed, keyed by their hash, with what the signals
// need per template: how often and how recently it was seen, a recent raw
// line as evidence, and (once it repeats) a sampler of its numbers. The table
// is bounded: when full, new templates are counted but not kept until the
// least recently seen ones are dropped at the next snapshot.
import type { ProgressSampler } from './progress';

export class TemplateStat {
  count = 0;
  lastSeenT = 0;
  /** Bucket in which `bucketCount` was counted. */
  bucketSeq = -1;
  bucketCount = 0;
  /** A recent raw line of this template (ANSI stripped, truncated, not redacted). */
  sample = '';
  sampler: ProgressSampler | null = null;
  /** When the next sampled line may start a pair, and whether a pair waits for its second line. */
  nextSlotT = 0;
  pairPending = false;

  constructor(
    readonly hash: number,
    readonly text: string,
    readonly firstSeenT: number,
  ) {}
}

export class TemplateTable {
  private readonly byHash = new Map<number, TemplateStat>();

  constructor(private readonly capacity: number) {}

  get(hash: number): TemplateStat | undefined {
    return this.byHash.get(hash);
  }

  get size(): number {
    return this.byHash.size;
  }

  /** When full, new templates are counted by the caller but not kept (until the next trim). */
  get full(): boolean {
    return this.byHash.size >= this.capacity;
  }

  add(stat: TemplateStat): void {
    this.byHash.set(stat.hash, stat);
  }

  /** Drops the least recently seen templates once the table is three-quarters full, down to half; returns them. */
  trim(): TemplateStat[] {
    if (this.byHash.size <= this.capacity * 0.75) return [];
    const stats = [...this.byHash.values()].sort((x, y) => x.lastSeenT - y.lastSeenT);
    const dropped = stats.slice(0, stats.length - Math.floor(this.capacity / 2));
    for (const s of dropped) this.byHash.delete(s.hash);
    return dropped;
  }
}
