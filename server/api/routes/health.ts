// Liveness, readiness and metrics.
import type { Response } from 'express';
import { EmptyQuery, Healthz, Readyz } from '../../shared/protocol/api';
import { ok } from '../reply';
import { route, type AnyRoute } from '../routeTable';
import type { ApiServices } from '../services';

export function healthRoutes(s: ApiServices): AnyRoute[] {
  return [
    route({
      method: 'GET',
      path: '/v1/healthz',
      operationId: 'getHealthz',
      summary: 'Liveness: the API answers.',
      tag: 'health',
      access: 'public',
      query: EmptyQuery,
      responses: { 200: { description: 'Alive.', schema: Healthz } },
      handle: () => ok({ status: 'ok' }),
    }),
    route({
      method: 'GET',
      path: '/v1/readyz',
      operationId: 'getReadyz',
      summary: 'Readiness: the store can be written and the sampler is working.',
      tag: 'health',
      access: 'public',
      query: EmptyQuery,
      responses: { 200: { description: 'Ready.', schema: Readyz }, 503: { description: 'Not ready; `checks` says why.', schema: Readyz } },
      handle: () => {
        const body = readiness(s);
        return ok(body, body.status === 'ready' ? 200 : 503);
      },
    }),
    route({
      method: 'GET',
      path: '/v1/metrics',
      operationId: 'getMetrics',
      summary: 'Prometheus metrics.',
      description:
        'Uptime, runs by state, incidents, interventions and audited actions by kind, stop and restart latencies with SLO ratios, restart-budget blocks, HTTP requests by route and status, auth failures, store save time and size.',
      tag: 'health',
      access: 'read',
      query: EmptyQuery,
      responses: { 200: { description: 'Prometheus text format 0.0.4.', contentType: 'text/plain; version=0.0.4' } },
      raw: async (_call, res: Response) => {
        const text = await s.metrics.registry.metrics();
        res.status(200).setHeader('Content-Type', s.metrics.registry.contentType);
        res.setHeader('Cache-Control', 'no-store');
        res.end(text);
      },
    }),
  ];
}

export function readiness(s: Pick<ApiServices, 'store' | 'engine'>): Readyz {
  const h = s.store.health();
  const storeOk = h.writable && !h.readOnly;
  const storeDetail = h.readOnly
    ? 'opened read-only'
    : !h.writable
      ? `cannot save: ${h.lastError ?? 'unknown error'}`
      : h.lastSaveAt === null
        ? 'writable (not saved yet)'
        : `writable; last saved in ${h.lastSaveMs ?? 0} ms`;
  const sampler = s.engine.samplerHealth();
  const samplerDetail = sampler.error
    ? `sampling failed: ${sampler.error}`
    : !sampler.ok
      ? 'sampling is late'
      : sampler.lastTickAt === null
        ? 'idle (no job to sample yet)'
        : 'sampling';
  return {
    status: storeOk && sampler.ok ? 'ready' : 'not-ready',
    checks: { store: { ok: storeOk, detail: storeDetail }, sampler: { ok: sampler.ok, detail: samplerDetail } },
  };
}
