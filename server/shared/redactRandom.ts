// Heuristics that tell a random-looking string (a key, a token) from a name,
// a path or a digest. Every function here is one pass over its input, so the
// generic rule stays linear however long a run of token characters is.

const HEX_ONLY = /^[0-9a-fA-F]+$/;
const UUID = /^[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$/;
/** W3C trace context (`traceparent`): version-traceid-spanid-flags, all hex. */
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
/** SHA-1 (git), SHA-256 and SHA-512 digests. */
const DIGEST_HEX_LENGTHS = new Set([40, 64, 128]);
/** Subresource-integrity style digests: `sha512-<base64>`. */
const DIGEST_PREFIX = /^(?:sha(?:1|256|384|512)|md5)-/i;
/** A part of a path or name that is a plain word (`home`, `Widget`). */
const PLAIN_WORD = /^[A-Za-z][a-z]{2,}$/;

const LONG_RUN = 1024;

export const isHex = (s: string): boolean => HEX_ONLY.test(s);
const isDigest = (s: string) => DIGEST_HEX_LENGTHS.has(s.length) && HEX_ONLY.test(s);

const LOWER = 0;
const UPPER = 1;
const DIGIT = 2;
const OTHER = 3;
function charClass(c: number): number {
  if (c >= 97 && c <= 122) return LOWER;
  if (c >= 65 && c <= 90) return UPPER;
  if (c >= 48 && c <= 57) return DIGIT;
  return OTHER;
}

/** Shannon entropy in bits per character, over char codes (no Map: this runs on every long run). */
function shannonBits(s: string): number {
  const counts = new Uint32Array(128);
  let other = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 128) counts[c]!++;
    else other++;
  }
  let bits = 0;
  const add = (n: number) => {
    if (n === 0) return;
    const p = n / s.length;
    bits -= p * Math.log2(p);
  };
  for (const n of counts) add(n);
  add(other);
  return bits;
}

/** Share of neighbouring characters that change class (lower/upper/digit/other): words and names change rarely. */
function classSwitchRatio(s: string): number {
  let switches = 0;
  for (let i = 1; i < s.length; i++) if (charClass(s.charCodeAt(i)) !== charClass(s.charCodeAt(i - 1))) switches++;
  return switches / Math.max(1, s.length - 1);
}

/** Share of a string made of word-like chunks (`Very`, `long`, `HTTP`): names are mostly words, random strings are not. */
function wordCoverage(s: string): number {
  let covered = 0;
  for (const m of s.matchAll(/[A-Z]?[a-z]{3,}|[A-Z]{4,}(?![a-z])/g)) covered += m[0].length;
  return covered / s.length;
}

function hasDigitAndLetter(s: string): boolean {
  let digit = false;
  let letter = false;
  for (let i = 0; i < s.length && !(digit && letter); i++) {
    const c = charClass(s.charCodeAt(i));
    if (c === DIGIT) digit = true;
    else if (c !== OTHER) letter = true;
  }
  return digit && letter;
}

const stripPadding = (s: string) => {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 61 /* = */) end--;
  return s.slice(0, end);
};

/** A long hex run that is not a digest, or a long run that looks random rather than like a name. */
export function isRandomBlob(token: string): boolean {
  const body = stripPadding(token);
  if (body.length < 32 || /^\d+$/.test(body)) return false;
  if (HEX_ONLY.test(body)) return !DIGEST_HEX_LENGTHS.has(body.length);
  if (!hasDigitAndLetter(body)) return false;
  const compact = body.replace(/[/_+-]/g, '');
  return shannonBits(compact) >= 3.5 && classSwitchRatio(compact) >= 0.3 && wordCoverage(compact) < 0.65;
}

/**
 * A run of token characters that hides a secret: a random part, or random as a
 * whole. Names carrying a digest are not; nor are hex folder names inside a
 * path (`workspaceStorage/<md5>/`), which are hashes, not keys; nor trace ids
 * in W3C form.
 */
export function isSecretRun(token: string): boolean {
  // A secret is never this long; a longer run (a blob, a data URI) is judged by its head.
  const run = stripPadding(token.length > LONG_RUN ? token.slice(0, LONG_RUN) : token);
  if (UUID.test(run) || DIGEST_PREFIX.test(run) || TRACEPARENT.test(run)) return false;
  const parts = run.split(/[/_+-]/);
  if (parts.length === 1) return isRandomBlob(run);
  const pathLike = run.includes('/') && parts.some((p) => PLAIN_WORD.test(p));
  if (parts.some((p) => p.length >= 32 && isRandomBlob(p) && !(pathLike && HEX_ONLY.test(p)))) return true;
  return !pathLike && !parts.some(isDigest) && isRandomBlob(run);
}

/** A bare value in an env assignment: any long hex (digest lengths too) or a random-looking string. */
export function isSecretEnvValue(value: string): boolean {
  const body = stripPadding(value);
  return (body.length >= 32 && HEX_ONLY.test(body) && !/^\d+$/.test(body)) || isSecretRun(value);
}

/** Enough randomness that a word after `Bearer` or in a URL's user slot is a credential, not prose. */
export function looksLikeToken(s: string): boolean {
  if (s.length >= 24) return true;
  if (s.length < 8) return false;
  return /\d/.test(s) || /[-._~+/=]/.test(s) || (/[A-Z]/.test(s.slice(1)) && /[a-z]/.test(s));
}
