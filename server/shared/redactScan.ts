// The machinery under the redaction rules, built so that every rule runs in
// time linear in the text, whatever the text is (a 64 KB line of `a_a_a_…`
// once took seconds and stalled sampling and kills).
//
// A rule is an *anchor* regex plus a hand-written reader. Anchors obey two
// rules that keep a regex linear: no nested unbounded quantifiers, and each
// anchor may only start at the beginning of a run of its own characters (a
// lookbehind forbids a start inside the run), so no run is scanned from many
// starts. Readers walk forward from the anchor with plain loops, and the scan
// resumes after what a reader consumed, so no character is read twice per rule.

export const REDACTED = '[REDACTED]';

/** What a reader found: replace text[start, end) with `text`. */
export interface Hit {
  start: number;
  end: number;
  text: string;
}

export interface Rule {
  /** What the rule finds, for the docs and test names. */
  what: string;
  /** A global regex; each match is handed to `read`. */
  anchor: RegExp;
  /**
   * The replacement for this match; or null to leave it (the scan goes on
   * after the anchor); or a position to go on from (the reader judged the
   * whole run up to there, so no anchor inside it needs trying).
   */
  read: (text: string, m: RegExpExecArray) => Hit | number | null;
}

export function applyRule(text: string, rule: Rule): string {
  const re = rule.anchor;
  re.lastIndex = 0;
  let out = '';
  let copied = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    const hit = m.index >= copied ? rule.read(text, m) : null;
    if (typeof hit === 'number') re.lastIndex = Math.max(hit, m.index + 1);
    else if (hit && hit.start >= copied) {
      out += text.slice(copied, hit.start) + hit.text;
      copied = hit.end;
      re.lastIndex = Math.max(hit.end, m.index + 1);
    } else if (m[0].length === 0) re.lastIndex = m.index + 1;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

// ------------------------------------------------------------------ values

const WS = (c: number) => c === 32 || c === 9 || c === 10 || c === 13 || c === 11 || c === 12;
/** Characters that end a bare value: whitespace, quotes, and the delimiters of lists and query strings. */
const BARE_END = new Set([...'"\'`,;&)}'].map((c) => c.charCodeAt(0)));
const OPEN = 91; // [
const CLOSE = 93; // ]

export interface Value {
  /** Where the value starts and ends in the text, quotes included. */
  start: number;
  end: number;
  /** The value without its quotes or brackets. */
  inner: string;
  /** Opening and closing text kept around the redacted value (`"`, `'`, `{`…`}`). */
  open: string;
  close: string;
}

/**
 * Reads a value at `i`: quoted (`"…"`, `'…'`, on one line), braced (`{…}`,
 * ODBC), bracketed (`[…]`, replaced whole so no stray `]` is left behind) or
 * bare (up to whitespace or a delimiter; a `]` that closes a `[` inside the
 * value belongs to it, one that closes an outer bracket does not).
 */
export function readValue(text: string, i: number, toLineEnd = false): Value | null {
  if (i >= text.length) return null;
  const c = text.charCodeAt(i);
  if (c === 34 || c === 39 || c === 96 || c === 123) {
    const close = c === 123 ? '}' : text[i]!;
    let end = lineIndexOf(text, close, i + 1);
    // `"a \"quoted\" word"`: an escaped quote does not end the value.
    while (end > i && c === 34 && text.charCodeAt(end - 1) === 92) end = lineIndexOf(text, close, end + 1);
    if (end > i) return { start: i, end: end + 1, inner: text.slice(i + 1, end), open: text[i]!, close };
    if (c === 123) return null;
  }
  if (c === OPEN) {
    const end = lineIndexOf(text, ']', i + 1);
    if (end > i) return { start: i, end: end + 1, inner: text.slice(i + 1, end), open: '', close: '' };
  }
  let j = i;
  let depth = 0;
  if (toLineEnd) {
    while (j < text.length && text.charCodeAt(j) !== 10 && text.charCodeAt(j) !== 13) j++;
    while (j > i && WS(text.charCodeAt(j - 1))) j--;
  } else {
    for (; j < text.length; j++) {
      const d = text.charCodeAt(j);
      if (WS(d) || BARE_END.has(d)) break;
      if (d === OPEN) depth++;
      else if (d === CLOSE) {
        if (depth === 0) break;
        depth--;
      }
    }
  }
  if (j === i) return null;
  return { start: i, end: j, inner: text.slice(i, j), open: '', close: '' };
}

/**
 * A value this long after a secret name is redacted whatever it looks like,
 * which also bounds the work a rule may repeat when it leaves a value alone.
 */
export const MAX_VALUE = 1024;

/**
 * The first `ch` at or after `from` on the same line, or -1. The last answer
 * per character is remembered: rules ask left to right, so a line full of
 * unclosed quotes is still read once, not once per quote.
 */
const closeCache = new Map<string, { text: string; from: number; found: number; lineEnd: number }>();
function lineIndexOf(text: string, ch: string, from: number): number {
  const c = closeCache.get(ch);
  if (c && c.text === text && from >= c.from && (c.found >= from || (c.found < 0 && from <= c.lineEnd))) return c.found;
  let k = from;
  let found = -1;
  for (; k < text.length; k++) {
    const d = text[k]!;
    if (d === ch) {
      found = k;
      break;
    }
    if (d === '\n' || d === '\r') break;
  }
  closeCache.set(ch, { text, from, found, lineEnd: k });
  return found;
}

export const redactedValue = (v: Value): Hit => ({ start: v.start, end: v.end, text: `${v.open}${REDACTED}${v.close}` });

export function skipSpaces(text: string, i: number): number {
  while (i < text.length && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i++;
  return i;
}

/** Reads a run of characters accepted by `ok` from `i`; returns its end. */
export function runEnd(text: string, i: number, ok: (c: number) => boolean): number {
  while (i < text.length && ok(text.charCodeAt(i))) i++;
  return i;
}

/** Token characters of keys and base64/base64url/hex text. */
export const TOKEN_CHAR = (c: number): boolean =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 45;
