// Turns one output line into a template: the line with its variable parts
// (numbers, hex, UUIDs, timestamps, long ids) masked, ANSI escapes removed and
// runs of blanks collapsed, so that lines differing only in values compare
// equal. This runs for every line a job prints, so it is a hand-written byte
// scanner: no regex, no string building unless asked, and the template's FNV-1a
// hash is computed while scanning.

/** Byte classes. Word bytes (digit, hex letter, letter, underscore) form tokens. */
const DIGIT = 1;
const HEXL = 2;
const LETTER = 3;
const UNDER = 4;
const BLANK = 5;
const ESC = 6;
const CTRL = 7;

const CLS = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  if (c >= 48 && c <= 57) CLS[c] = DIGIT;
  else if ((c >= 97 && c <= 102) || (c >= 65 && c <= 70)) CLS[c] = HEXL;
  else if ((c >= 103 && c <= 122) || (c >= 71 && c <= 90) || c >= 128) CLS[c] = LETTER;
  else if (c === 95) CLS[c] = UNDER;
  else if (c === 32 || c === 9) CLS[c] = BLANK;
  else if (c === 27) CLS[c] = ESC;
  else if (c < 32 || c === 127) CLS[c] = CTRL;
}

const isWord = (c: number): boolean => {
  const k = CLS[c]!;
  return k >= DIGIT && k <= UNDER;
};
const isHexByte = (c: number): boolean => {
  const k = CLS[c]!;
  return k === DIGIT || k === HEXL;
};

const FNV_OFFSET = 0x811c9dc5;
/**
 * Hashes are cut to 30 bits so that they stay V8 small integers: Map lookups and
 * ring compares on the hot path then never box a heap number.
 */
const HASH_MASK = 0x3fffffff;
/** The hash of an empty template: a blank line (after stripping ANSI and blanks). */
export const BLANK_HASH = FNV_OFFSET & HASH_MASK;
const FNV_PRIME = 0x01000193;

/** What a masked token was. The codes double as hash bytes (control bytes never reach the hash otherwise). */
export const enum Mask {
  Num = 1,
  Hex = 2,
  Uuid = 3,
  Id = 4,
}
const MASK_TEXT: Record<number, string> = { 1: '<N>', 2: '<HEX>', 3: '<UUID>', 4: '<ID>' };
const MASK_BYTES: Record<number, number[]> = Object.fromEntries(
  Object.entries(MASK_TEXT).map(([k, v]) => [k, [...Buffer.from(v, 'latin1')]]),
);

/** Flags of one numeric field, from the bytes around it. */
export const enum FieldFlag {
  /** Next to ':' (a clock or a date part): never progress. */
  Clock = 1,
  /** Followed by '%'. */
  Percent = 2,
  /** Followed by '/': the x of an x/y fraction. */
  Numerator = 4,
  /** Preceded by '/': the y of an x/y fraction. */
  Denominator = 8,
}

export const MAX_FIELDS = 8;

const enum Mode {
  Hash = 0,
  Emit = 1,
  Fields = 2,
}

export class LineNormalizer {
  /** Template bytes of the last `template()` call. */
  private out: Uint8Array;
  private outLen = 0;
  /** Numeric fields of the last `fields()` call (pure numbers only, in order). */
  readonly values = new Float64Array(MAX_FIELDS);
  readonly flags = new Uint8Array(MAX_FIELDS);
  fieldCount = 0;
  private mode: Mode = Mode.Hash;

  constructor(maxLineBytes = 2048) {
    // A one-byte number becomes three bytes (`<N>`), so leave room.
    this.out = new Uint8Array(maxLineBytes * 3 + 64);
  }

  /** The template's 30-bit hash. The hot path: nothing is allocated. */
  hash(buf: Uint8Array, start: number, end: number): number {
    this.mode = Mode.Hash;
    return this.scan(buf, start, end);
  }

  /** The template as text (only called for templates not seen before). */
  template(buf: Uint8Array, start: number, end: number): string {
    this.mode = Mode.Emit;
    this.outLen = 0;
    this.scan(buf, start, end);
    return Buffer.from(this.out.buffer, this.out.byteOffset, this.outLen).toString('utf8');
  }

  /** Extracts the numeric fields into `values`/`flags`; returns how many (sampled lines only). */
  fields(buf: Uint8Array, start: number, end: number): number {
    this.mode = Mode.Fields;
    this.fieldCount = 0;
    this.scan(buf, start, end);
    return this.fieldCount;
  }

  private scan(buf: Uint8Array, start: number, end: number): number {
    const emit = this.mode === Mode.Emit;
    let h = FNV_OFFSET;
    let pendingBlank = false;
    let started = false;
    let i = start;
    while (i < end) {
      const c = buf[i]!;
      const k = CLS[c]!;
      if (k >= DIGIT && k <= UNDER) {
        if (pendingBlank) {
          h = Math.imul(h ^ 32, FNV_PRIME);
          if (emit) this.out[this.outLen++] = 32;
          pendingBlank = false;
        }
        i = this.token(buf, i, end, h);
        h = this.tokHash;
        started = true;
        continue;
      }
      if (k === BLANK) {
        pendingBlank = started; // leading blanks are dropped, inner runs collapse to one
        i++;
        continue;
      }
      if (k === ESC) {
        i = skipEscape(buf, i, end);
        continue;
      }
      if (k === CTRL) {
        i++;
        continue;
      }
      // A '-' right before a digit and not glued to a word is a sign: part of the number.
      if (c === 45 && i + 1 < end && CLS[buf[i + 1]!] === DIGIT && (i === start || !isWord(buf[i - 1]!))) {
        i++;
        continue;
      }
      if (pendingBlank) {
        h = Math.imul(h ^ 32, FNV_PRIME);
        if (emit) this.out[this.outLen++] = 32;
        pendingBlank = false;
      }
      h = Math.imul(h ^ c, FNV_PRIME);
      if (emit) this.out[this.outLen++] = c;
      started = true;
      i++;
    }
    return h & HASH_MASK;
  }

  /** Hash after the last `token()` call (kept in a field to avoid returning pairs). */
  private tokHash = 0;

  /** Handles one word token starting at `i`; returns the index after it and leaves the hash in `tokHash`. */
  private token(buf: Uint8Array, i: number, end: number, h: number): number {
    let j = i;
    let digits = 0;
    let hexl = 0;
    let other = 0; // letters beyond a-f and underscores
    while (j < end) {
      const kk = CLS[buf[j]!]!;
      if (kk === DIGIT) digits++;
      else if (kk === HEXL) hexl++;
      else if (kk === LETTER || kk === UNDER) other++;
      else break;
      j++;
    }
    const len = j - i;
    const allHex = other === 0;
    if (allHex && len === 8 && buf[j] === 45) {
      const u = uuidEnd(buf, i, end);
      if (u > 0) return this.mask(Mask.Uuid, h, u);
    }
    const first = CLS[buf[i]!]!;
    if (first === DIGIT) {
      if (digits === len) return this.number(buf, i, j, end, h);
      if (buf[i] === 48 && len > 2 && (buf[i + 1]! | 0x20) === 120 && allHexFrom(buf, i + 2, j)) return this.mask(Mask.Hex, h, j);
      if (allHex && len >= 6) return this.mask(Mask.Hex, h, j);
      return this.mixed(buf, i, j, h);
    }
    if (allHex && digits > 0 && len >= 8) return this.mask(Mask.Hex, h, j);
    if (len >= 24 && digits * 4 >= len) return this.mask(Mask.Id, h, j);
    // An identifier (test_a3f9c1, module_1a2b3c4d, utf8, p2026): kept as it is.
    const emit = this.mode === Mode.Emit;
    for (let p = i; p < j; p++) {
      h = Math.imul(h ^ buf[p]!, FNV_PRIME);
      if (emit) this.out[this.outLen++] = buf[p]!;
    }
    this.tokHash = h;
    return j;
  }

  private mask(m: Mask, h: number, next: number): number {
    this.tokHash = Math.imul(h ^ m, FNV_PRIME);
    if (this.mode === Mode.Emit) for (const b of MASK_BYTES[m]!) this.out[this.outLen++] = b;
    return next;
  }

  /** A standalone number, with an optional decimal part; records it as a field when asked. */
  private number(buf: Uint8Array, i: number, j: number, end: number, h: number): number {
    if (buf[j] === 46 && j + 1 < end && CLS[buf[j + 1]!] === DIGIT) {
      j += 2;
      while (j < end && CLS[buf[j]!] === DIGIT) j++;
    }
    if (this.mode === Mode.Fields && this.fieldCount < MAX_FIELDS) this.recordField(buf, i, j, end);
    return this.mask(Mask.Num, h, j);
  }

  /** A digit-led token with letters (23ms, 02T03, 5s): digit runs masked, letters kept. */
  private mixed(buf: Uint8Array, i: number, j: number, h: number): number {
    const emit = this.mode === Mode.Emit;
    let p = i;
    while (p < j) {
      if (CLS[buf[p]!] === DIGIT) {
        while (p < j && CLS[buf[p]!] === DIGIT) p++;
        h = Math.imul(h ^ Mask.Num, FNV_PRIME);
        if (emit) for (const b of MASK_BYTES[Mask.Num]!) this.out[this.outLen++] = b;
      } else {
        h = Math.imul(h ^ buf[p]!, FNV_PRIME);
        if (emit) this.out[this.outLen++] = buf[p]!;
        p++;
      }
    }
    this.tokHash = h;
    return j;
  }

  private recordField(buf: Uint8Array, i: number, j: number, end: number): void {
    let v = 0;
    let p = i;
    while (p < j && buf[p] !== 46) v = v * 10 + (buf[p++]! - 48);
    if (p < j) {
      let scale = 0.1;
      for (p++; p < j; p++, scale /= 10) v += (buf[p]! - 48) * scale;
    }
    const before = i > 0 ? buf[i - 1]! : 0;
    let sign = 1;
    let prev = before;
    if (before === 45 && (i - 1 === 0 || !isWord(buf[i - 2]!))) {
      sign = -1;
      prev = i > 1 ? buf[i - 2]! : 0;
    }
    const next = j < end ? buf[j]! : 0;
    let f = 0;
    // A clock part has digits across its colon (12:34); "worker 1: ..." is not one.
    const start = sign < 0 ? i - 1 : i;
    if ((prev === 58 && start >= 2 && CLS[buf[start - 2]!] === DIGIT) || (next === 58 && j + 1 < end && CLS[buf[j + 1]!] === DIGIT)) {
      f |= FieldFlag.Clock;
    }
    if (next === 37) f |= FieldFlag.Percent;
    if (next === 47) f |= FieldFlag.Numerator;
    if (prev === 47) f |= FieldFlag.Denominator;
    this.values[this.fieldCount] = sign * v;
    this.flags[this.fieldCount] = f;
    this.fieldCount++;
  }
}

function allHexFrom(buf: Uint8Array, i: number, j: number): boolean {
  for (let p = i; p < j; p++) if (!isHexByte(buf[p]!)) return false;
  return true;
}

/** The end of a UUID (8-4-4-4-12 hex) starting at `i`, or 0. */
function uuidEnd(buf: Uint8Array, i: number, end: number): number {
  if (i + 36 > end) return 0;
  for (let p = 0; p < 36; p++) {
    const c = buf[i + p]!;
    if (p === 8 || p === 13 || p === 18 || p === 23) {
      if (c !== 45) return 0;
    } else if (!isHexByte(c)) return 0;
  }
  return i + 36 < end && isWord(buf[i + 36]!) ? 0 : i + 36;
}

/**
 * Skips one ANSI escape sequence starting at ESC: CSI (`ESC [` ... final byte),
 * OSC (`ESC ]` ... BEL or `ESC \`), or a two-byte escape.
 */
export function skipEscape(buf: Uint8Array, i: number, end: number): number {
  const next = i + 1 < end ? buf[i + 1]! : -1;
  if (next === 91) {
    let p = i + 2;
    while (p < end && (buf[p]! < 0x40 || buf[p]! > 0x7e)) p++;
    return Math.min(end, p + 1);
  }
  if (next === 93) {
    let p = i + 2;
    while (p < end) {
      if (buf[p] === 7) return p + 1;
      if (buf[p] === 27 && buf[p + 1] === 92) return p + 2;
      p++;
    }
    return end;
  }
  return Math.min(end, i + 2);
}

/** ANSI escapes and control bytes removed, for evidence lines (rare: a few per second). */
export function stripAnsi(buf: Uint8Array, start: number, end: number): string {
  const out: number[] = [];
  let i = start;
  while (i < end) {
    const c = buf[i]!;
    if (c === 27) {
      i = skipEscape(buf, i, end);
      continue;
    }
    if (c === 9 || (c >= 32 && c !== 127)) out.push(c);
    i++;
  }
  return Buffer.from(out).toString('utf8');
}

const shared = new LineNormalizer(4096);

/** Convenience for tests and docs: the template of one line of text. */
export function normalizeLine(text: string): string {
  const b = Buffer.from(text, 'utf8');
  return shared.template(b, 0, b.length);
}

/**
 * The shortest text that repeated k >= 2 times gives `text`, else `text`. Two
 * processes writing the same line to one pipe, each with separate writes for
 * the text and its newline, produce "T T" lines (and blank ones): the same
 * template as T.
 */
export function repeatedUnit(text: string): string {
  const n = text.length;
  for (let p = 1; p <= n >> 1; p++) {
    if (n % p !== 0) continue;
    const unit = text.slice(0, p);
    if (unit.repeat(n / p) === text) return unit;
  }
  return text;
}
