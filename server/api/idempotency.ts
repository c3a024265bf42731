// Idempotency-Key on writes: the first answer to (client, endpoint, key) is
// stored with a hash of the request; the same request again gets the stored
// answer back (`X-Idempotent-Replay: true`), a different one a 409. Answers
// are stored unless they are 5xx (the request may not have happened) or 429
// (retry later: a retry after Retry-After must really be tried again).
import { createHash } from 'node:crypto';
import { VISIBLE_ASCII_TOKEN } from '../shared/protocol/api';
import type { EvidenceStore, IdempotencyRecord } from '../store/types';
import type { Clock } from '../util/clock';
import { ApiProblem, badRequest, conflict, PROBLEM_CONTENT_TYPE } from './problems';
import { JSON_CONTENT_TYPE, type Reply } from './reply';

export const IDEMPOTENCY_HEADER = 'idempotency-key';

/** JSON with object keys sorted at every level, so key order never changes the hash. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value as object)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function requestHash(method: string, path: string, body: unknown): string {
  return createHash('sha256').update(`${method}\n${path}\n${canonicalJson(body ?? {})}`).digest('hex');
}

export function checkIdempotencyKey(raw: string | string[] | undefined): string | null {
  if (raw === undefined) return null;
  if (typeof raw !== 'string' || !VISIBLE_ASCII_TOKEN.test(raw))
    throw badRequest('the Idempotency-Key header must be 1-128 visible ASCII characters (a UUID is a good choice)');
  return raw;
}

export type IdempotencyOutcome =
  | { kind: 'replay'; status: number; json: string; contentType: string }
  | { kind: 'new'; finish: (reply: Reply, json: string, isProblem: boolean) => void; abandon: () => void };

export class IdempotencyLedger {
  private readonly inFlight = new Set<string>();

  constructor(
    private readonly store: EvidenceStore,
    private readonly clock: Clock,
  ) {}

  /**
   * Looks the key up for this client and endpoint. `endpoint` names the
   * route (so `/process/kill` and `/v1/process/kill` share answers).
   */
  begin(key: string, endpoint: string, hash: string): IdempotencyOutcome {
    const found = this.store.getIdempotency(key, endpoint);
    if (found) {
      if (found.request_hash !== hash) {
        this.store.countIdempotencyOutcome('conflict', this.clock.now());
        throw conflict(
          'this Idempotency-Key was already used with a different request; use a new key for a new request',
          'idempotency-conflict',
        );
      }
      // Counted per day for GET /v1/ops/controlplane/replay/history.
      this.store.countIdempotencyOutcome('replay', this.clock.now());
      return { kind: 'replay', status: found.status, json: found.body, contentType: found.content_type };
    }
    const slot = `${endpoint}\n${key}`;
    if (this.inFlight.has(slot))
      throw new ApiProblem(409, 'idempotency-in-progress', 'a request with this Idempotency-Key is still being processed; retry in a moment', {
        headers: { 'Retry-After': '1' },
        retryAfterSeconds: 1,
      });
    this.inFlight.add(slot);
    const release = () => this.inFlight.delete(slot);
    return {
      kind: 'new',
      abandon: release,
      finish: (reply, json, isProblem) => {
        release();
        if (reply.status >= 500 || reply.status === 429) return;
        const record: IdempotencyRecord = {
          key,
          endpoint,
          request_hash: hash,
          status: reply.status,
          body: json,
          content_type: isProblem ? PROBLEM_CONTENT_TYPE : JSON_CONTENT_TYPE,
          created_at: this.clock.now(),
        };
        this.store.putIdempotency(record);
      },
    };
  }
}
