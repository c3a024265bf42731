import { randomBytes } from 'node:crypto';

// Random bytes are drawn 4 KB at a time: an id per API request or decision
// would otherwise cost a getrandom() system call each (measured under load:
// the largest single cost of a cached API read).
const POOL_BYTES = 4096;
let pool: Buffer = Buffer.alloc(0);
let offset = 0;

function randomHex(bytes: number): string {
  if (offset + bytes > pool.length) {
    pool = randomBytes(POOL_BYTES);
    offset = 0;
  }
  offset += bytes;
  return pool.toString('hex', offset - bytes, offset);
}

/**
 * Sortable, unique ids: a millisecond timestamp in base 36 plus random bits,
 * with a prefix naming the kind (`run_`, `inc_`, `dec_`, ...).
 */
export function newId(prefix: string, now = Date.now()): string {
  return `${prefix}_${now.toString(36).padStart(9, '0')}${randomHex(5)}`;
}

/** 32-bit FNV-1a; used where a stable, cheap hash is needed (canary buckets). */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
