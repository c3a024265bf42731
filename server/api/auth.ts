// Bearer authentication and scope checks for each route's access rule, with
// throttling of repeated failures. Keys never reach logs or stores: only the
// key's name (the principal) travels on.
import type { NextFunction, Request, Response } from 'express';
import { AuthThrottle } from './authThrottle';
import { bearerToken, keyFingerprint, type KeyRing, type Principal, type Scope } from './keys';
import type { ApiMetrics } from './metrics';
import { ApiProblem, forbidden, tooManyRequests } from './problems';
import type { Access } from './routeTable';

const SCOPES_FOR: Record<Exclude<Access, 'public'>, readonly Scope[]> = {
  read: ['admin', 'read'],
  own: ['admin', 'read', 'submit'],
  submit: ['admin', 'submit'],
  admin: ['admin'],
};

const WHY_NOT: Record<Exclude<Access, 'public'>, string> = {
  read: 'needs an admin or read key',
  own: 'needs an API key',
  submit: 'needs an admin or submit key',
  admin: 'needs an admin key',
};

export const principalOf = (res: Response): Principal | null => (res.locals.principal as Principal | undefined) ?? null;

function unauthorized(detail: string): ApiProblem {
  return new ApiProblem(401, 'unauthorized', detail, { headers: { 'WWW-Authenticate': 'Bearer realm="flowforge"' } });
}

export class Authenticator {
  constructor(
    private readonly ring: KeyRing,
    private readonly throttle: AuthThrottle,
    private readonly metrics: ApiMetrics,
  ) {}

  /** Middleware for one route's access rule. */
  guard(access: Access, what: string) {
    return (req: Request, res: Response, next: NextFunction): void => {
      if (access === 'public') return next();
      const principal = this.authenticate(req);
      if (!SCOPES_FOR[access].includes(principal.scope))
        throw forbidden(`${what} ${WHY_NOT[access]}; the key '${principal.name}' has the ${principal.scope} scope`);
      res.locals.principal = principal;
      next();
    };
  }

  /**
   * The key is checked first: a valid key is never throttled, so a flood of
   * wrong keys from the same address cannot lock the owner out. Only failures
   * count and only failures are answered 429 while their client is blocked.
   * Guessing is defended by key strength (at least 16 characters; generated
   * keys carry 256 random bits), not by the throttle, which bounds the cost of
   * a flood of bad attempts.
   */
  private authenticate(req: Request): Principal {
    const token = bearerToken(req.headers.authorization);
    const principal = token ? this.ring.verify(token) : null;
    if (principal) return principal;
    const address = req.socket.remoteAddress ?? 'unknown';
    const fingerprint = keyFingerprint(token);
    const wait = this.throttle.retryAfter(address, fingerprint);
    if (wait > 0) {
      this.metrics.authFailures.inc({ reason: 'throttled' });
      throw tooManyRequests('auth-rate-limited', 'too many failed authentication attempts from this client; wait before retrying', wait);
    }
    const reason = token === null ? 'missing' : token === '' ? 'malformed' : 'invalid';
    this.metrics.authFailures.inc({ reason });
    const blocked = this.throttle.fail(address, fingerprint);
    if (blocked > 0)
      throw tooManyRequests('auth-rate-limited', 'too many failed authentication attempts from this client; wait before retrying', blocked);
    if (token === null) throw unauthorized('this route needs an API key: send Authorization: Bearer <key>');
    if (token === '') throw unauthorized('the Authorization header must be: Bearer <key>');
    throw unauthorized('the API key is not valid');
  }
}
