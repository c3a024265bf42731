// The templates a job has printed, keyed by their hash, with what the signals
// need per template: how often and how recently it was seen, a recent raw
// line as evidence, and (once it repeats) a sampler of its numbers. The table
// is bounded: when full, new templates are counted but not kept until the
// least recently seen ones are dropped at the next snapshot.
import { repeatedUnit } from './normalize';
import type { ProgressSampler } from './progress';

/**
 * Words of failure: a line repeated with one of these is a retry storm, not a
 * poll. Tested once per new template, never per line.
 */
export const FAILURE_WORDS =
  /\b(errors?|err|fail(s|ed|ing|ure)?|fatal|exception|traceback|refused|unreachable|unable|cannot|can't|couldn't|could not|denied|timed out|timeout|retry(ing)?|retries|panic(ked)?|abort(ed)?|crash(ed|ing)?|not found|econn\w*|enoent|eai_again)\b/i;

/**
 * The shapes of a crash report, whatever its words: an exception class named
 * in CamelCase (`KeyError: 'alpha'`, `TypeError`, `java.lang.NullPointerException`,
 * `ConnectionResetError`), and the frame lines of a stack trace in Python
 * (`File "x.py", line <N>, in f`), JavaScript and Java (`at f (x.js:<N>:<N>)`,
 * `at a.B.c(B.java:<N>)`) and Go (`goroutine <N> [running]:`, `x.go:<N> +<HEX>`).
 * A traceback is mostly frames: without these, a loop that crashes and retries
 * looks like one failing line in ten. Tested on templates (numbers already masked).
 */
export const FAILURE_SHAPES: readonly RegExp[] = [
  /(^|[^A-Za-z0-9_])[A-Z][A-Za-z0-9]*(Error|Exception)\b/,
  /^File "[^"]+", line <N>(, in .+)?$/,
  /^at .+[.:]<N>(:<N>)?\)?$/,
  /^goroutine <N> \[[a-z ]+\]:$/,
  /\.go:<N>( \+<HEX>)?$/,
];

/** Whether a template says something failed: a failure word or a crash report's shape. */
export const isFailing = (template: string): boolean => FAILURE_WORDS.test(template) || FAILURE_SHAPES.some((re) => re.test(template));

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
  /** The detector's skip count when the pending pair started (its second line must follow without a skip). */
  pairSkips = 0;
  /** The hash of lines that are exactly this template (not a repetition of it): only those are sampled for numbers. */
  fieldsHash: number | null = null;
  /** Whether the template says something failed (see isFailing); set once, when it is first seen. */
  failing = false;
  /** Where this template was last seen on stdout / stderr (that stream's CycleTracker position), -1 never. */
  lastPosOut = -1;
  lastPosErr = -1;
  /** Hash of `text` (see signatures.ts), computed when a signature first needs it. */
  textHash: number | null = null;

  /**
   * @param key the hash it was first seen under: what cycle matching compares
   * @param text the template
   */
  constructor(
    readonly key: number,
    readonly text: string,
    readonly firstSeenT: number,
  ) {}
}

export class TemplateTable {
  /** Several hashes may name one template (see `repeatedUnit`). */
  private readonly byHash = new Map<number, TemplateStat>();
  private readonly byText = new Map<string, TemplateStat>();

  constructor(private readonly capacity: number) {}

  get(hash: number): TemplateStat | undefined {
    return this.byHash.get(hash);
  }

  get size(): number {
    return this.byText.size;
  }

  /** When full, new templates are counted by the caller but not kept (until the next trim). */
  get full(): boolean {
    return this.byHash.size >= this.capacity;
  }

  /**
   * Files a new hash under its template: an existing one with the same text (or
   * the same repeated unit, see `repeatedUnit`), or a new one.
   */
  add(hash: number, raw: string, t: number): { stat: TemplateStat; isNew: boolean } {
    const text = repeatedUnit(raw);
    let stat = this.byText.get(text);
    const isNew = stat === undefined;
    if (!stat) {
      stat = new TemplateStat(hash, text, t);
      stat.failing = isFailing(text);
      this.byText.set(text, stat);
    }
    if (raw === text) stat.fieldsHash ??= hash;
    this.byHash.set(hash, stat);
    return { stat, isNew };
  }

  /** Drops the least recently seen templates once the table is three-quarters full, down to half; returns them. */
  trim(): TemplateStat[] {
    if (this.byHash.size <= this.capacity * 0.75) return [];
    const stats = [...this.byText.values()].sort((x, y) => x.lastSeenT - y.lastSeenT);
    const dropped = new Set(stats.slice(0, Math.max(0, stats.length - Math.floor(this.capacity / 2))));
    for (const s of dropped) this.byText.delete(s.text);
    for (const [h, s] of this.byHash) if (dropped.has(s)) this.byHash.delete(h);
    return [...dropped];
  }
}
