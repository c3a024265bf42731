import { randomBytes } from 'node:crypto';

/**
 * Sortable, unique ids: a millisecond timestamp in base 36 plus random bits,
 * with a prefix naming the kind (`run_`, `inc_`, `dec_`, ...).
 */
export function newId(prefix: string, now = Date.now()): string {
  return `${prefix}_${now.toString(36).padStart(9, '0')}${randomBytes(5).toString('hex')}`;
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
