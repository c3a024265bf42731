// What every request goes through before any route: a request id, safe
// default headers, the Host check (DNS rebinding) and the Origin check (CSRF
// from browsers), with CORS only for allow-listed origins. A refused request
// is answered here and never reaches a handler, so it changes nothing.
import type { NextFunction, Request, Response } from 'express';
import { VISIBLE_ASCII_TOKEN } from '../shared/protocol/api';
import { newId } from '../util/ids';
import { ApiProblem } from './problems';

export interface RequestLocals {
  requestId: string;
  startedAt: number;
  /** The route template that matched (metrics label), once known. */
  route?: string;
}

export const locals = (res: Response) => res.locals as RequestLocals;

export const EXPOSED_HEADERS = 'X-Request-Id, X-Idempotent-Replay, Retry-After, Location';
const ALLOWED_REQUEST_HEADERS = 'Authorization, Content-Type, Idempotency-Key, X-Request-Id, Last-Event-ID';

/** Accepts the caller's X-Request-Id when sane (1-128 visible ASCII), else makes one. */
export function requestIdOf(header: string | string[] | undefined): string {
  return typeof header === 'string' && VISIBLE_ASCII_TOKEN.test(header) ? header : newId('req');
}

export function beginRequest(now: () => number) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const l = locals(res);
    l.requestId = requestIdOf(req.headers['x-request-id']);
    l.startedAt = now();
    res.setHeader('X-Request-Id', l.requestId);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    next();
  };
}

/** Only `127.0.0.1:<port>` and `localhost:<port>`: a rebinding attack names its own host. */
export function hostGuard(port: () => number) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    const host = (req.headers.host ?? '').toLowerCase();
    const p = port();
    if (host === `127.0.0.1:${p}` || host === `localhost:${p}`) return next();
    throw new ApiProblem(
      421,
      'misdirected-request',
      `this API answers only requests for 127.0.0.1:${p} or localhost:${p} (Host was ${host ? `'${host.slice(0, 100)}'` : 'missing'})`,
    );
  };
}

/** `scheme://host[:port]` in canonical form, or null when it is not an http(s) origin. */
export function normalizeOrigin(origin: string): string | null {
  try {
    const u = new URL(origin);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin : null;
  } catch {
    return null;
  }
}

/**
 * Browsers send Origin; other clients (the CLI, the extension host) do not,
 * and are let through to authentication. A browser request from an origin not
 * on the list is refused, and so is a cross-site fetch that hides its origin.
 */
export function originGuard(allowed: ReadonlySet<string>) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const raw = req.headers.origin;
    if (raw === undefined) {
      const site = req.headers['sec-fetch-site'];
      if (site === 'cross-site' || site === 'same-site')
        throw new ApiProblem(403, 'origin-forbidden', 'cross-site browser requests are not accepted by this API');
      return next();
    }
    const origin = normalizeOrigin(raw);
    if (!origin || !allowed.has(origin))
      throw new ApiProblem(403, 'origin-forbidden', `requests from the origin '${raw.slice(0, 200)}' are not allowed; add it to the allowed origins if it is yours`);
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Access-Control-Expose-Headers', EXPOSED_HEADERS);
    res.append('Vary', 'Origin');
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', 'GET, POST, DELETE');
      res.setHeader('Access-Control-Allow-Headers', ALLOWED_REQUEST_HEADERS);
      res.setHeader('Access-Control-Max-Age', '600');
    }
    next();
  };
}
