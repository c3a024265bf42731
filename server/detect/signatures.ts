// Learned signatures: what a confirmed runaway's output cycle looks like,
// remembered so that the same loop is recognised at its first full cycle the
// next time, and so that a person can say "this is not a runaway" once.
//
// A signature is the hash of the cycle's template sequence (values already
// masked by the normaliser, so rotating numbers, timestamps, pids and ids do
// not change it), taken from the rotation that sorts first: the same loop
// seen from any line of its cycle gives the same signature. Two independent
// 32-bit hashes make a 64-bit one; the period is part of it ("p12-…").
//
// Matching is pure and cheap: once per tick, for each period among the
// workspace's signatures, hash the last `period` lines of each stream (at
// most 512 keys) and compare. The detector owns the lines; this file owns the
// arithmetic and the data types the engine passes in.

/** A signature as the engine hands it to the detector (pure data, from the store). */
export interface KnownSignature {
  signature: string;
  /** Lines in one cycle. */
  period: number;
  /** The incident that taught it (learned) or that a person marked "not a runaway" (allowed). */
  incidentId: string;
}

/** What the engine knows for a job's scope (workspace, or the directory of a CLI run). */
export interface SignatureInputs {
  /** Confirmed runaways: flagged at their first full cycle. */
  learned: readonly KnownSignature[];
  /** Marked "not a runaway": loop rules stay quiet while the output shows them. */
  allowed: readonly KnownSignature[];
}

export const NO_SIGNATURES: SignatureInputs = Object.freeze({ learned: Object.freeze([]), allowed: Object.freeze([]) });

/** A learned signature found in the output: how many whole cycles of it in a row (a unit is at least MIN_MATCH_LINES lines). */
export interface SignatureMatch extends KnownSignature {
  cycles: number;
}

/**
 * A "full cycle" is at least this many lines: a 1-line loop's first line is
 * no evidence of anything, eight of them in a row are. Long cycles are one
 * cycle (a 12-line traceback loop matches after its 12 lines).
 */
export const MIN_MATCH_LINES = 8;

/** Lines a match must cover to count one cycle: the period, repeated up to MIN_MATCH_LINES. */
export const matchUnit = (period: number): number => period * Math.ceil(MIN_MATCH_LINES / period);

/**
 * The signature of one cycle given its template hashes in order (any
 * rotation): "p<period>-<16 hex digits>".
 */
export function signatureOf(hashes: ArrayLike<number>): string {
  const n = hashes.length;
  const start = leastRotation(hashes);
  // FNV-1a over the words, and a second, differently seeded multiply-xor hash.
  let a = 0x811c9dc5;
  let b = 0x9e3779b9 ^ n;
  for (let i = 0; i < n; i++) {
    const w = hashes[(start + i) % n]! >>> 0;
    for (let s = 0; s < 32; s += 8) {
      a = Math.imul(a ^ ((w >>> s) & 0xff), 0x01000193);
    }
    b = Math.imul(b ^ w, 0x85ebca6b);
    b ^= b >>> 13;
    b = Math.imul(b, 0xc2b2ae35);
    b ^= b >>> 16;
  }
  return `p${n}-${hex8(a)}${hex8(b)}`;
}

const hex8 = (v: number): string => (v >>> 0).toString(16).padStart(8, '0');

/**
 * Start of the lexicographically least rotation (Booth's algorithm, O(n)):
 * the canonical starting line of a cycle, whatever line it was first seen from.
 */
export function leastRotation(s: ArrayLike<number>): number {
  const n = s.length;
  if (n <= 1) return 0;
  const at = (i: number) => s[i % n]! >>> 0;
  const f = new Int32Array(2 * n).fill(-1);
  let k = 0;
  for (let j = 1; j < 2 * n; j++) {
    const sj = at(j);
    let i = f[j - k - 1]!;
    while (i !== -1 && sj !== at(k + i + 1)) {
      if (sj < at(k + i + 1)) k = j - i - 1;
      i = f[i]!;
    }
    if (sj !== at(k + i + 1)) {
      // i === -1
      if (sj < at(k)) k = j;
      f[j - k] = -1;
    } else f[j - k] = i + 1;
  }
  return k % n;
}

/** The period a signature string names (0 when it is not one). */
export function periodOf(signature: string): number {
  const m = /^p(\d+)-[0-9a-f]{16}$/.exec(signature);
  return m ? Number(m[1]) : 0;
}

/** Text hash of a template (FNV-1a over its UTF-16 units): stable across runs and processes. */
export function textHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
