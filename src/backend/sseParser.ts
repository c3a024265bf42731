// Incremental parser of a text/event-stream body (the WHATWG rules the API's
// /v1/stream follows): events end at a blank line, `data:` lines join with
// `\n`, comments (`:`) are skipped, `id:` and `retry:` are remembered.
// Chunks may split anywhere, including inside a line or a CRLF pair.

export interface SseEvent {
  /** `message` when the event had no `event:` line. */
  event: string;
  data: string;
  /** The id of this event, when it carried one. */
  id: string | null;
}

export class SseParser {
  private buffer = '';
  private event = '';
  private data: string[] = [];
  private id: string | null = null;
  private sawField = false;
  /** The server's `retry:` advice, ms. */
  retryMs: number | null = null;

  /** Feeds decoded text; returns the events it completed. */
  push(text: string): SseEvent[] {
    const buf = this.buffer + text;
    const out: SseEvent[] = [];
    let pos = 0;
    // Next '\n' and '\r' at or after pos, searched again only once passed (-1: none left).
    let lf = buf.indexOf('\n');
    let cr = buf.indexOf('\r');
    for (;;) {
      if (lf >= 0 && lf < pos) lf = buf.indexOf('\n', pos);
      if (cr >= 0 && cr < pos) cr = buf.indexOf('\r', pos);
      const nl = cr < 0 ? lf : lf < 0 ? cr : Math.min(cr, lf);
      if (nl < 0) break;
      // A lone '\r' at the very end may be the first half of '\r\n': wait for more.
      if (buf[nl] === '\r' && nl === buf.length - 1) break;
      const eol = buf[nl] === '\r' && buf[nl + 1] === '\n' ? 2 : 1;
      const done = this.line(buf.slice(pos, nl));
      if (done) out.push(done);
      pos = nl + eol;
    }
    // Only the unfinished line is kept: a big chunk is scanned once, not copied per line.
    this.buffer = buf.slice(pos);
    return out;
  }

  private line(line: string): SseEvent | null {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.event = value;
        break;
      case 'data':
        this.data.push(value);
        break;
      case 'id':
        if (!value.includes('\0')) this.id = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retryMs = Number(value);
        return null;
      default:
        return null;
    }
    this.sawField = true;
    return null;
  }

  private dispatch(): SseEvent | null {
    const had = this.sawField && this.data.length > 0;
    const event: SseEvent = { event: this.event || 'message', data: this.data.join('\n'), id: this.id };
    this.event = '';
    this.data = [];
    this.sawField = false;
    // Reported only with the event that carried it; the client keeps the last one it saw for resuming.
    const result = had ? event : null;
    this.id = null;
    return result;
  }
}
