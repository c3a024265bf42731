// RFC 7807 problem details: every error the API answers is one of these, with
// a stable `type` URI per kind, the request id, and — for bad input — one
// entry per offending field so a person knows exactly what to fix.
import { STATUS_CODES } from 'node:http';
import type { Problem } from '../shared/protocol/api';

export const PROBLEM_BASE = 'https://flowforge.dev/problems/';
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** The kinds of problem the API answers with; the slug is the last segment of `type`. */
export type ProblemSlug =
  | 'bad-request'
  | 'invalid-json'
  | 'validation-failed'
  | 'unauthorized'
  | 'forbidden'
  | 'origin-forbidden'
  | 'not-found'
  | 'method-not-allowed'
  | 'misdirected-request'
  | 'conflict'
  | 'run-not-active'
  | 'protection-disabled'
  | 'idempotency-conflict'
  | 'idempotency-in-progress'
  | 'payload-too-large'
  | 'unsupported-media-type'
  | 'restart-budget-exceeded'
  | 'auth-rate-limited'
  | 'too-many-streams'
  | 'input-backlog'
  | 'unavailable'
  | 'internal';

export interface FieldError {
  path: string;
  message: string;
}

/** Thrown by handlers and middleware; turned into a problem+json answer. */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly slug: ProblemSlug,
    readonly detail: string,
    readonly extra: { errors?: FieldError[]; retryAfterSeconds?: number; headers?: Record<string, string> } = {},
  ) {
    super(detail);
    this.name = 'ApiProblem';
  }
}

export const badRequest = (detail: string, errors?: FieldError[]) =>
  new ApiProblem(400, errors ? 'validation-failed' : 'bad-request', detail, { errors });

/** One invalid field, found by a check a schema cannot make (the cwd must exist, the pid must be alive). */
export const invalidField = (path: string, message: string) => badRequest(`invalid request: ${path}: ${message}`, [{ path, message }]);

export const notFound = (detail: string) => new ApiProblem(404, 'not-found', detail);
export const conflict = (detail: string, slug: ProblemSlug = 'conflict') => new ApiProblem(409, slug, detail);
export const forbidden = (detail: string) => new ApiProblem(403, 'forbidden', detail);

export function tooManyRequests(slug: 'restart-budget-exceeded' | 'auth-rate-limited' | 'too-many-streams' | 'input-backlog', detail: string, retryAfterMs: number): ApiProblem {
  const retryAfterSeconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return new ApiProblem(429, slug, detail, { retryAfterSeconds, headers: { 'Retry-After': String(retryAfterSeconds) } });
}

export function problemBody(p: ApiProblem, instance: string, requestId: string): Problem {
  const body: Problem = {
    type: PROBLEM_BASE + p.slug,
    title: STATUS_CODES[p.status] ?? 'Error',
    status: p.status,
    detail: p.detail,
    instance,
    request_id: requestId,
  };
  if (p.extra.errors?.length) body.errors = p.extra.errors;
  if (p.extra.retryAfterSeconds !== undefined) body.retry_after_seconds = p.extra.retryAfterSeconds;
  return body;
}
