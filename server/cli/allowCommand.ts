// `flowforge allow <incident>`: a person says the incident was not a runaway.
// The signatures it taught (see docs/detection.md, learned signatures) stop
// alerting and stopping jobs in their scope; the change is audited. It writes
// the store, so it takes the store's lock like any writer: while a running
// FlowForge holds it, ask that one through its API instead.
import { Recorder } from '../engine/recorder';
import { NothingToAllowError, SignatureBook } from '../engine/signatureBook';
import type { EngineEvents } from '../engine/events';
import { defaultStorePath, openStore, StoreLockedError } from '../store';
import { parse, selfCommand, str, UsageError } from '../util/args';
import { systemClock } from '../util/clock';
import { createLogger } from '../util/logger';
import { TypedEmitter } from '../util/typedEmitter';

const USAGE = 'Usage: flowforge allow <incident-id> [--reason TEXT] [--db PATH] [--json]';

export async function allowCommand(argv: string[]): Promise<number> {
  const { values, rest } = parse(argv, { db: { type: 'string' }, reason: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    process.stdout.write(`${USAGE}\n  Marks an incident "not a runaway": the signature FlowForge learned from it no longer alerts or stops jobs in its workspace.\n`);
    return 0;
  }
  const [incidentId, ...extra] = rest;
  if (!incidentId || extra.length) throw new UsageError(`${USAGE}\n(find incident ids with: ${selfCommand()} incidents)`);
  const path = str(values, 'db') ?? defaultStorePath();
  const reason = str(values, 'reason') ?? 'marked not a runaway from the command line';
  const logger = createLogger((line) => process.stderr.write(`${line}\n`), 'warn');
  let opened;
  try {
    opened = await openStore({ path, logger, lockCommand: 'flowforge allow' });
  } catch (err) {
    if (err instanceof StoreLockedError) {
      throw new UsageError(`${err.message}; or ask the FlowForge that holds it: ${selfCommand()} api POST /v1/incidents/${incidentId}/allow`);
    }
    throw err;
  }
  const { store } = opened;
  try {
    const book = new SignatureBook(store, new Recorder(store, new TypedEmitter<EngineEvents>(), systemClock), systemClock, logger);
    const allowed = book.allow(incidentId, { actor: 'user', reason });
    if (values.json === true) process.stdout.write(JSON.stringify({ incident_id: incidentId, signatures: allowed }, null, 2) + '\n');
    else {
      for (const s of allowed) {
        process.stdout.write(`allowed ${s.signature} (${s.period}-line cycle, scope ${s.scope}): it no longer alerts or stops jobs there\n`);
      }
    }
    return 0;
  } catch (err) {
    if (!(err instanceof NothingToAllowError)) throw err;
    process.stderr.write(`flowforge: ${err.message}\n`);
    return 1;
  } finally {
    await store.close();
  }
}
