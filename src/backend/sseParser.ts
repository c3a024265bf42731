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
    this.buffer += text;
    const out: SseEvent[] = [];
    for (;;) {
      const nl = this.buffer.search(/\r\n|\r|\n/);
      if (nl < 0) break;
      // A lone '\r' at the very end may be the first half of '\r\n': wait for more.
      if (this.buffer[nl] === '\r' && nl === this.buffer.length - 1) break;
      const eol = this.buffer.startsWith('\r\n', nl) ? 2 : 1;
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + eol);
      const done = this.line(line);
      if (done) out.push(done);
    }
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
