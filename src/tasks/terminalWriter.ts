// Writes a job's output into a Pseudoterminal the way a terminal needs it:
// held until the terminal has opened (earlier writes are dropped by VS Code),
// `\n` turned into `\r\n`, batched into one write per tick of a few ms, and
// capped in rate: a job printing megabytes per second would freeze the
// terminal (and the extension host), so past the budget only the newest lines
// of each batch are shown, with a note saying how much was skipped.

export interface TerminalWriterOptions {
  /** The pty's onDidWrite.fire. */
  write(text: string): void;
  /** Batch interval (default 25 ms). */
  flushMs?: number;
  /** Characters per second shown at most (default 256 K: about 4000 lines a second, more than anyone reads). */
  maxCharsPerSecond?: number;
  /** Held before open() at most; older text is dropped (default 256 KB). */
  maxHeldChars?: number;
  now?: () => number;
}

const NOTE_EVERY_MS = 1000;

export function toCrlf(text: string): string {
  return text.replace(/\r?\n/g, '\r\n');
}

/** The end of `text`, about `size` characters, starting at a line start when there is one. */
export function tailOf(text: string, size: number): string {
  if (text.length <= size) return text;
  const cut = text.length - size;
  const nl = text.indexOf('\n', cut);
  return nl >= 0 && nl < text.length - 1 ? text.slice(nl + 1) : text.slice(cut);
}

export class TerminalWriter {
  private opened = false;
  private pending = '';
  private timer: ReturnType<typeof setTimeout> | null = null;
  private skipped = 0;
  private lastNoteAt = 0;
  private atLineStart = true;
  private lastFlushAt = 0;
  /** What the rate allowed but quiet moments did not use (up to one second's worth): lets a burst after a quiet spell through. */
  private tokens = 0;
  private readonly flushMs: number;
  private readonly rate: number;
  /** Characters one flush may show at least (the rate over one interval). */
  private readonly budget: number;
  private readonly maxHeld: number;
  private readonly now: () => number;

  constructor(private readonly o: TerminalWriterOptions) {
    this.flushMs = o.flushMs ?? 25;
    this.rate = o.maxCharsPerSecond ?? 256 * 1024;
    this.budget = Math.max(1024, Math.round((this.rate * this.flushMs) / 1000));
    this.maxHeld = o.maxHeldChars ?? 256 * 1024;
    this.now = o.now ?? Date.now;
  }

  /** The terminal is open: what was held is written now. */
  open(): void {
    this.opened = true;
    this.flush();
  }

  /** Output of the job, as it came. */
  write(text: string): void {
    if (!text) return;
    this.pending += text;
    const limit = this.opened ? Math.max(this.budget * 4, this.allowance() * 2) : this.maxHeld;
    if (this.pending.length > limit) {
      const kept = tailOf(this.pending, limit);
      this.skipped += this.pending.length - kept.length;
      this.pending = kept;
    }
    if (this.opened) this.timer ??= setTimeout(() => this.flush(), this.flushMs);
  }

  /**
   * Output the job printed before this terminal caught up with it (a catch-up
   * read, and what arrived meanwhile): one burst that says nothing about how
   * fast the job prints, so it is shown whole, after what is pending, rather
   * than thinned like a flood — up to `maxHeldChars` per burst.
   */
  backlog(text: string): void {
    if (!text) return;
    if (!this.opened) {
      this.write(text);
      return;
    }
    this.flush();
    const kept = tailOf(text, this.maxHeld);
    this.skipped += text.length - kept.length;
    this.emit(this.skippedNote(true) + toCrlf(kept));
  }

  /** A line of FlowForge's own (banners): starts on a fresh line, shown right away and never skipped. */
  line(text: string): void {
    this.flush(true);
    if (!this.opened) {
      this.pending += `${this.pending && !this.pending.endsWith('\n') ? '\n' : ''}${text}\n`;
      return;
    }
    this.emit(`${this.atLineStart ? '' : '\r\n'}${text}\r\n`);
  }

  /** Writes what is pending now; `final`: also the note about skipped output, however recent the last one. */
  flush(final = false): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.opened) return;
    let text = this.pending;
    this.pending = '';
    const allowance = this.allowance();
    this.lastFlushAt = this.now();
    if (text.length > allowance) {
      const kept = tailOf(text, Math.floor(allowance / 2));
      this.skipped += text.length - kept.length;
      text = kept;
    }
    this.tokens = Math.max(0, allowance - text.length);
    this.emit(this.skippedNote(final) + toCrlf(text));
  }

  /**
   * What the rate allows now: what quiet moments left unused plus the rate
   * times the time since the last flush, at most one second's worth. A late
   * flush (the extension host was busy) or a burst after a quiet spell is
   * shown; a flood is still held to the rate.
   */
  private allowance(): number {
    const elapsed = this.lastFlushAt === 0 ? 0 : this.now() - this.lastFlushAt;
    return Math.min(this.rate, Math.max(this.budget, this.tokens + Math.round((this.rate * elapsed) / 1000)));
  }

  private emit(text: string): void {
    if (!text) return;
    this.atLineStart = text.endsWith('\n');
    this.o.write(text);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private skippedNote(force: boolean): string {
    if (this.skipped === 0 || (!force && this.lastNoteAt !== 0 && this.now() - this.lastNoteAt < NOTE_EVERY_MS)) return '';
    const n = this.skipped;
    this.skipped = 0;
    this.lastNoteAt = this.now();
    const amount = n >= 1024 * 1024 ? `${(n / 1048576).toFixed(1)} MB` : `${Math.max(1, Math.round(n / 1024))} KB`;
    const lead = this.atLineStart ? '' : '\r\n';
    return `${lead}\x1b[2m[FlowForge: ${amount} of output not shown, to keep the terminal responsive; detection still reads all of it]\x1b[0m\r\n`;
  }
}
