// How a run is redacted and bounded on its way into storage. One place,
// because two writers use it: the store itself, and the spool a short
// `flowforge run` leaves for the store (a file on disk is storage too).
import type { Run } from '../shared/protocol/domain';
import { redactArgv, redactRecord } from '../shared/redact';
import { boundArgv, boundText, MAX_STORED_ARGV_BYTES } from './argvBounds';

/** A run as stored: redacted, and bounded (every update of a run repeats it in a journal row). */
export function redactRunRecord(run: Run): Run {
  const r = { ...redactRecord(run, ['cwd', 'argv']), argv: boundArgv(redactArgv(run.argv)) };
  r.command = boundText(r.command, MAX_STORED_ARGV_BYTES);
  return r;
}
