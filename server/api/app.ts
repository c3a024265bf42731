// The express app of the /v1 API. Every request: request id and safe headers
// → Host check → Origin check → the route (auth → body → validation →
// idempotency → handler) → or 404/405; errors become problem+json. Built from
// the route table, so routes, 405 answers and OpenAPI agree.
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Engine } from '../engine/engine';
import { signerFor, type Signer } from '../evidence/sign';
import { resolveSettings as policyResolveSettings } from '../policy';
import { EmptyQuery } from '../shared/protocol/api';
import { InvalidCursorError } from '../store/cursor';
import { systemClock, type Clock } from '../util/clock';
import { silentLogger, type Logger } from '../util/logger';
import { Authenticator, principalOf } from './auth';
import { AuthThrottle, monotonicClock, type ThrottleSettings } from './authThrottle';
import { beginRequest, hostGuard, locals, originGuard, normalizeOrigin } from './httpGuards';
import { checkIdempotencyKey, IDEMPOTENCY_HEADER, IdempotencyLedger, requestHash } from './idempotency';
import { KeyRing, type ApiKeySet } from './keys';
import { ApiMetrics } from './metrics';
import { OutputHub, type OutputLimits } from './outputHub';
import { OwnerIndex } from './owners';
import { DEFAULT_PAGE_CACHE, PageCache, type PageCacheSettings } from './pageCache';
import { ApiProblem, badRequest, invalidField, notFound, PROBLEM_CONTENT_TYPE } from './problems';
import { problemReply, sendJsonText, sendProblem, sendReply, JSON_CONTENT_TYPE } from './reply';
import { allowedMethods, canonicalPath, isWrite, legacyPath, type AnyRoute, type Call } from './routeTable';
import { apiRoutes } from './routes';
import { RunControl, type SettingsResolver } from './runControl';
import type { ApiServices } from './services';
import { DEFAULT_STREAM, StreamHub, type StreamSettings } from './streamHub';
import { parseInput } from './validate';
import { Workspaces } from './workspaces';

export const MAX_BODY_BYTES = 64 * 1024;
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

export interface ApiOptions {
  engine: Engine;
  keys: ApiKeySet;
  logger?: Logger;
  clock?: Clock;
  /** Browser origins allowed to call the API (exact `scheme://host:port`); none by default. */
  allowedOrigins?: readonly string[];
  /** Policy settings for POST /runs and /watch (default: the policy's resolveSettings). */
  resolveSettings?: SettingsResolver;
  throttle?: Partial<ThrottleSettings>;
  stream?: Partial<StreamSettings>;
  output?: Partial<OutputLimits>;
  pageCache?: Partial<PageCacheSettings>;
  /** Signs evidence bundles (default: the user's Ed25519 key, or the HMAC key file the environment names). */
  evidenceSigner?: () => Signer;
}

export interface ApiApp {
  app: Express;
  routes: readonly AnyRoute[];
  services: ApiServices;
  /** Stops the stream hub and unsubscribes from the engine. */
  close(): void;
}

export class ApiConfigError extends Error {}

function allowedOriginSet(origins: readonly string[] = []): Set<string> {
  return new Set(
    origins.map((o) => {
      const n = normalizeOrigin(o);
      if (!n || o === '*') throw new ApiConfigError(`allowed origin '${o}' must be an exact http(s) origin such as http://localhost:5173 (no wildcards)`);
      return n;
    }),
  );
}

function buildServices(opts: ApiOptions): ApiServices {
  const engine = opts.engine;
  const store = engine.store;
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? silentLogger;
  const outputs = new OutputHub(opts.output);
  const owners = new OwnerIndex(store);
  const metrics = new ApiMetrics({ engine, store, clock, sseClients: () => stream.size });
  const pages = new PageCache(clock, (result) => metrics.pageCache.inc({ result }), { ...DEFAULT_PAGE_CACHE, ...opts.pageCache });
  const runs = new RunControl({ engine, store, logger, metrics, outputs, resolveSettings: opts.resolveSettings ?? policyResolveSettings });
  const workspaces = new Workspaces(engine, store, runs, clock);
  const stream = new StreamHub(engine, store, owners, outputs, { ...DEFAULT_STREAM, ...opts.stream });
  const evidenceSigner = opts.evidenceSigner ?? (() => signerFor({}));
  return { engine, store, clock, logger, metrics, outputs, owners, pages, runs, workspaces, stream, evidenceSigner };
}

/** The API app for `port` (the Host check accepts only that port). */
export function createApp(opts: ApiOptions & { port: number }): ApiApp {
  const origins = allowedOriginSet(opts.allowedOrigins);
  const ring = new KeyRing(opts.keys);
  const s = buildServices(opts);
  const auth = new Authenticator(ring, new AuthThrottle(opts.clock ?? monotonicClock, opts.throttle), s.metrics);
  const ledger = new IdempotencyLedger(s.store, s.clock);
  const detach = [
    s.metrics.attach(),
    s.engine.events.on('output', s.outputs.onOutput),
    ...(['journal', 'run', 'incident'] as const).map((e) => s.engine.events.on(e, s.pages.invalidate)),
  ];

  const routes = apiRoutes(s);

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(beginRequest(() => s.clock.now()));
  app.use(recordMetrics(s));
  app.use(hostGuard(() => opts.port));
  app.use(originGuard(origins));
  app.use(markLegacy);
  const runner = new RouteRunner(s, ledger);
  for (const r of routes) {
    const chain = [
      (_req: Request, res: Response, next: NextFunction) => {
        locals(res).route = r.path;
        next();
      },
      auth.guard(r.access, `${r.method} ${r.path}`),
      ...(r.body ? [readJsonBody] : []),
      (req: Request, res: Response) => runner.run(r, req, res),
    ];
    for (const path of [r.path, legacyPath(r.path)]) app[r.method === 'GET' ? 'get' : r.method === 'POST' ? 'post' : 'delete'](path, ...chain);
  }
  app.use((req: Request, res: Response) => {
    const path = pathOf(req);
    const allow = allowedMethods(routes, path);
    if (!allow) throw notFound(`no such endpoint: ${path} (the API reference is at GET /v1/openapi.json)`);
    res.setHeader('Allow', allow.join(', '));
    if (req.method === 'OPTIONS') {
      res.status(204).end();
      return;
    }
    throw new ApiProblem(405, 'method-not-allowed', `${req.method} is not allowed on ${path}; allowed: ${allow.join(', ')}`);
  });
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const problem = toProblem(err, s.logger, locals(res).requestId);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendProblem(res, problem, pathOf(req), locals(res).requestId);
  });

  return {
    app,
    routes,
    services: s,
    close: () => {
      s.stream.close();
      for (const off of detach) off();
    },
  };
}

// ---------------------------------------------------------------- the pieces

const pathOf = (req: Request) => (req.originalUrl.split('?')[0] ?? '/').slice(0, 512);

function recordMetrics(s: ApiServices) {
  return (req: Request, res: Response, next: NextFunction): void => {
    res.on('close', () => {
      const l = locals(res);
      const method = KNOWN_METHODS.has(req.method) ? req.method : 'OTHER';
      const route = l.route ?? 'unmatched';
      const ms = s.clock.now() - l.startedAt;
      s.metrics.httpRequests.inc({ method, route, status: String(res.statusCode) });
      if (route !== '/v1/stream') s.metrics.httpDuration.observe({ method, route }, ms / 1000);
      // Never the headers (they carry the key) nor the query (it may carry anything).
      s.logger.debug(`${method} ${pathOf(req).slice(0, 200)} ${res.statusCode} ${ms} ms`, { request_id: l.requestId });
    });
    next();
  };
}

/** Aliases without /v1 still answer, and say what replaces them. */
function markLegacy(req: Request, res: Response, next: NextFunction): void {
  const path = pathOf(req);
  if (!path.toLowerCase().startsWith('/v1/')) {
    res.setHeader('Deprecation', 'true');
    res.setHeader('Link', `<${canonicalPath(path)}>; rel="successor-version"`);
  }
  next();
}

function hasBody(req: Request): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

const parseJson = express.json({ limit: MAX_BODY_BYTES, strict: true, type: () => true });

/** JSON bodies only, at most 64 KB; an absent body reads as `{}`. */
function readJsonBody(req: Request, res: Response, next: NextFunction): void {
  if (!hasBody(req)) {
    req.body = {};
    return next();
  }
  if (!req.is(['application/json', 'application/*+json']))
    throw new ApiProblem(415, 'unsupported-media-type', `send the body as JSON with Content-Type: application/json (got '${String(req.headers['content-type'] ?? 'none').slice(0, 100)}')`);
  parseJson(req, res, next);
}

/** Any error as a problem; unexpected ones are logged (with the request id, never the request) and become 500. */
export function toProblem(err: unknown, logger: Logger, requestId: string): ApiProblem {
  if (err instanceof ApiProblem) return err;
  if (err instanceof InvalidCursorError) return invalidField('query.cursor', err.message);
  const e = err as { type?: string; status?: number; message?: string };
  switch (e.type) {
    case 'entity.too.large':
      return new ApiProblem(413, 'payload-too-large', `the request body is larger than ${MAX_BODY_BYTES / 1024} KB`);
    case 'entity.parse.failed':
      return new ApiProblem(400, 'invalid-json', `the request body is not valid JSON: ${String(e.message).slice(0, 200)}`);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new ApiProblem(415, 'unsupported-media-type', 'send the body as UTF-8 JSON');
  }
  if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) return badRequest(`malformed request: ${String(e.message).slice(0, 200)}`);
  logger.error(`API request failed: ${(err as Error)?.stack ?? String(err)}`, { request_id: requestId });
  return new ApiProblem(500, 'internal', `unexpected error; the FlowForge log has the details (request id ${requestId})`);
}

/** Validates a request for its route, runs the handler and answers; writes go through the idempotency ledger. */
class RouteRunner {
  constructor(
    private readonly s: ApiServices,
    private readonly ledger: IdempotencyLedger,
  ) {}

  async run(r: AnyRoute, req: Request, res: Response): Promise<void> {
    const call: Call<unknown, unknown, unknown> = {
      principal: principalOf(res),
      requestId: locals(res).requestId,
      params: r.params ? parseInput(r.params, { ...req.params }, 'path') : {},
      query: parseInput(r.query ?? EmptyQuery, { ...(req.query as object) }, 'query'),
      body: r.body ? parseInput(r.body, req.body, 'body') : undefined,
      path: canonicalPath(pathOf(req)),
      headers: req.headers,
    };
    if (r.raw) return r.raw(call, res);
    const key = isWrite(r.method) ? checkIdempotencyKey(req.headers[IDEMPOTENCY_HEADER]) : null;
    if (key === null) return sendReply(res, await r.handle!(call));
    await this.runOnce(r, call, key, req.body, res);
  }

  private async runOnce(r: AnyRoute, call: Call<unknown, unknown, unknown>, key: string, rawBody: unknown, res: Response): Promise<void> {
    const endpoint = `${call.principal?.name ?? '-'} ${r.method} ${r.path}`;
    let outcome;
    try {
      outcome = this.ledger.begin(key, endpoint, requestHash(r.method, call.path, rawBody));
    } catch (err) {
      this.s.metrics.idempotency.inc({ outcome: 'conflict' });
      throw err;
    }
    if (outcome.kind === 'replay') {
      this.s.metrics.idempotency.inc({ outcome: 'replay' });
      return sendJsonText(res, outcome.status, outcome.json, outcome.contentType, { 'X-Idempotent-Replay': 'true' });
    }
    try {
      const reply = await r.handle!(call);
      const json = JSON.stringify(reply.body);
      outcome.finish(reply, json, false);
      sendJsonText(res, reply.status, json, JSON_CONTENT_TYPE, reply.headers);
    } catch (err) {
      const problem = toProblem(err, this.s.logger, call.requestId);
      const { reply, json } = problemReply(problem, pathOf(res.req), call.requestId);
      outcome.finish(reply, json, true);
      sendJsonText(res, reply.status, json, PROBLEM_CONTENT_TYPE, reply.headers);
    }
  }
}
