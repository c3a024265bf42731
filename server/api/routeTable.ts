// The API as data: one RouteDef per operation, with its access rule, its
// schemas and its handler. The express app, the 404/405 answers and the
// OpenAPI document are all built from this one table, so they cannot drift.
import type { Response } from 'express';
import type { z } from 'zod';
import type { Principal } from './keys';
import type { Reply } from './reply';

/**
 * Who may call a route:
 * - `public`: anyone (liveness and readiness);
 * - `read`: admin and read keys (the whole picture: metrics, workspaces);
 * - `own`: every key; a submit key sees only rows of runs it started;
 * - `submit`: admin and submit keys; a submit key acts only on runs it started;
 * - `admin`: admin keys only.
 */
export type Access = 'public' | 'read' | 'own' | 'submit' | 'admin';

export type Method = 'GET' | 'POST' | 'DELETE';

export const API_PREFIX = '/v1';

export interface Call<P, Q, B> {
  /** Null only on public routes. */
  principal: Principal | null;
  requestId: string;
  params: P;
  query: Q;
  body: B;
  /** The request path in its /v1 form (legacy aliases included), without the query. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
}

export interface ResponseDoc {
  description: string;
  schema?: z.ZodType;
  /** Non-JSON answers (SSE, Prometheus text). */
  contentType?: string;
}

export interface RouteDef<PS extends z.ZodType = z.ZodType, QS extends z.ZodType = z.ZodType, BS extends z.ZodType = z.ZodType> {
  method: Method;
  /** Express path with the /v1 prefix, e.g. `/v1/runs/:id`; the legacy alias drops the prefix. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  access: Access;
  params?: PS;
  query?: QS;
  body?: BS;
  /** The body may be absent (an empty body is validated as `{}`). */
  bodyOptional?: boolean;
  responses: Record<number, ResponseDoc>;
  /** Error statuses this route answers beyond the common ones (400, 401, 403, 404, 405, 413, 415, 421, 429). */
  errors?: number[];
  handle?: (call: Call<z.output<PS>, z.output<QS>, z.output<BS>>) => Reply | Promise<Reply>;
  /** For answers that are not one JSON document (SSE, Prometheus text). */
  raw?: (call: Call<z.output<PS>, z.output<QS>, z.output<BS>>, res: Response) => void | Promise<void>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyRoute = RouteDef<any, any, any>;

/** Keeps the schema types of a route together with its handler's argument types. */
export function route<PS extends z.ZodType, QS extends z.ZodType, BS extends z.ZodType>(def: RouteDef<PS, QS, BS>): AnyRoute {
  return def as AnyRoute;
}

export const isWrite = (method: string) => method !== 'GET' && method !== 'HEAD';

/** `/v1/runs/:id` → `/runs/:id`. */
export const legacyPath = (path: string) => path.slice(API_PREFIX.length);

/** A request path in /v1 form. */
export const canonicalPath = (path: string) => (path.toLowerCase().startsWith(API_PREFIX + '/') ? path : API_PREFIX + path);

/** Matches request paths against route templates the way express does (case-insensitive, optional trailing slash). */
export function templateMatcher(template: string): RegExp {
  const body = template
    .split('/')
    .map((seg) => (seg.startsWith(':') ? '[^/]+' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${body}/?$`, 'i');
}

/** The methods a path answers, for `Allow` (HEAD with GET, OPTIONS always), or null when no route has the path. */
export function allowedMethods(routes: readonly AnyRoute[], path: string): string[] | null {
  const methods = new Set<string>();
  for (const r of routes) {
    if (templateMatcher(r.path).test(path) || templateMatcher(legacyPath(r.path)).test(path)) {
      methods.add(r.method);
      if (r.method === 'GET') methods.add('HEAD');
    }
  }
  if (methods.size === 0) return null;
  methods.add('OPTIONS');
  return [...methods].sort();
}
