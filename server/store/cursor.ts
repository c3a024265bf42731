// Opaque page cursors: the sort key of the last item of a page, tagged with
// what it pages through, base64url-encoded. Keys are immutable values (seq,
// start time + id), so a page boundary stays put while new rows arrive.
export class InvalidCursorError extends Error {
  constructor(detail: string) {
    super(`invalid cursor: ${detail}; pass the next_cursor of a previous page unchanged, or omit it for the first page`);
    this.name = 'InvalidCursorError';
  }
}

export type CursorKey = (string | number)[];

export function encodeCursor(kind: string, key: CursorKey): string {
  return Buffer.from(JSON.stringify([kind, ...key])).toString('base64url');
}

/** The key of a cursor made by encodeCursor for the same kind, with the same shape as `shape`. */
export function decodeCursor<K extends CursorKey>(kind: string, cursor: string, shape: K): K {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError('not a cursor of this API');
  }
  if (!Array.isArray(parsed) || parsed[0] !== kind) throw new InvalidCursorError(`not a ${kind} cursor`);
  const key = parsed.slice(1);
  const fits = key.length === shape.length && key.every((v, i) => typeof v === typeof shape[i]);
  if (!fits) throw new InvalidCursorError(`malformed ${kind} cursor`);
  return key as K;
}
