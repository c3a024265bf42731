// GET /v1/openapi.json: the API description, from the live route table.
import { z } from 'zod';
import { EmptyQuery } from '../../shared/protocol/api';
import { buildOpenApi } from '../openapi';
import { ok } from '../reply';
import { route, type AnyRoute } from '../routeTable';

export function docsRoute(routes: () => readonly AnyRoute[]): AnyRoute {
  let cached: Record<string, unknown> | null = null;
  return route({
    method: 'GET',
    path: '/v1/openapi.json',
    operationId: 'getOpenApi',
    summary: 'This API description (OpenAPI 3.1).',
    tag: 'docs',
    access: 'own',
    query: EmptyQuery,
    responses: { 200: { description: 'The OpenAPI document.', schema: z.record(z.string(), z.unknown()) } },
    handle: () => ok((cached ??= buildOpenApi(routes()))),
  });
}
