// The OpenAPI 3.1 description of the API, generated from the route table and
// the shared zod schemas (so it cannot drift from what the server does).
// docs/openapi.yaml is this document; a unit test keeps the two identical and
// checks it against the express router. Regenerate it with:
//   node -r esbuild-register scripts/write-openapi.ts
import { STATUS_CODES } from 'node:http';
import { stringify } from 'yaml';
import { z } from 'zod';
import { version } from '../../package.json';
import * as apiSchemas from '../shared/protocol/api';
import * as domainSchemas from '../shared/protocol/domain';
import { API_PREFIX, isWrite, type AnyRoute } from './routeTable';

type Json = Record<string, unknown>;

const COMPONENT = '#/components/schemas/';
const SAFE_INT = Number.MAX_SAFE_INTEGER;

/** Every exported body and response schema becomes a named component; queries and path parameters stay inline. */
function namedSchemas(): Map<z.ZodType, string> {
  const names = new Map<z.ZodType, string>();
  for (const mod of [domainSchemas, apiSchemas] as Record<string, unknown>[]) {
    for (const [name, value] of Object.entries(mod)) {
      if (value instanceof z.ZodType && !/(Query|Params)$/.test(name) && !names.has(value)) names.set(value, name);
    }
  }
  return names;
}

/** Drops zod's safe-integer bounds (noise in a document read by people). */
function override(ctx: { jsonSchema: Json }): void {
  const s = ctx.jsonSchema;
  if (s.minimum === -SAFE_INT) delete s.minimum;
  if (s.maximum === SAFE_INT) delete s.maximum;
}

function toJsonSchema(schema: z.ZodType): Json {
  const out = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', override }) as Json;
  delete out.$schema;
  return out;
}

function components(names: Map<z.ZodType, string>): Record<string, Json> {
  const registry = z.registry<{ id: string }>();
  for (const [schema, id] of names) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, { io: 'input', unrepresentable: 'any', override, uri: (id) => COMPONENT + id }) as {
    schemas: Record<string, Json>;
  };
  const sorted: Record<string, Json> = {};
  for (const id of Object.keys(schemas).sort()) {
    const { $schema: _s, $id: _i, ...rest } = schemas[id]!;
    sorted[id] = rest;
  }
  return sorted;
}

/** `/v1/runs/:id` → `/runs/{id}` (servers carry the /v1 prefix). */
export const openApiPath = (expressPath: string) =>
  expressPath.replace(new RegExp(`^${API_PREFIX}`), '').replace(/:([A-Za-z_]+)/g, '{$1}');

function parametersOf(r: AnyRoute): Json[] {
  const params: Json[] = [];
  const add = (schema: z.ZodType | undefined, where: 'path' | 'query') => {
    if (!(schema instanceof z.ZodObject)) return;
    for (const [name, field] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
      const { description, ...fieldSchema } = toJsonSchema(field);
      params.push({
        name,
        in: where,
        required: where === 'path' || !field.safeParse(undefined).success,
        ...(description ? { description } : {}),
        schema: fieldSchema,
      });
    }
  };
  add(r.params, 'path');
  add(r.query, 'query');
  params.push({ $ref: '#/components/parameters/XRequestId' });
  if (isWrite(r.method)) params.push({ $ref: '#/components/parameters/IdempotencyKey' });
  if (r.raw && r.path.endsWith('/stream')) params.push({ $ref: '#/components/parameters/LastEventId' });
  return params;
}

function errorStatuses(r: AnyRoute): number[] {
  const codes = new Set([400, 403, 421, ...(r.errors ?? [])]);
  if (r.access !== 'public') [401, 429].forEach((c) => codes.add(c));
  if (r.body) [413, 415].forEach((c) => codes.add(c));
  if (isWrite(r.method)) codes.add(409);
  return [...codes].sort((a, b) => a - b);
}

function operation(r: AnyRoute, names: Map<z.ZodType, string>): Json {
  const ref = (schema: z.ZodType) => (names.has(schema) ? { $ref: COMPONENT + names.get(schema) } : toJsonSchema(schema));
  const responses: Json = {};
  for (const [status, doc] of Object.entries(r.responses)) {
    const type = doc.contentType ?? 'application/json';
    responses[status] = { description: doc.description, content: { [type]: doc.schema ? { schema: ref(doc.schema) } : { schema: { type: 'string' } } } };
  }
  for (const status of errorStatuses(r)) {
    responses[String(status)] ??= { $ref: `#/components/responses/Problem${status}` };
  }
  const op: Json = {
    operationId: r.operationId,
    summary: r.summary,
    ...(r.description ? { description: r.description } : {}),
    tags: [r.tag],
    'x-flowforge-access': r.access,
    security: r.access === 'public' ? [] : [{ bearerAuth: [] }],
    parameters: parametersOf(r),
  };
  if (r.body) op.requestBody = { required: !r.bodyOptional, content: { 'application/json': { schema: ref(r.body) } } };
  op.responses = responses;
  return op;
}

const ACCESS_TEXT = [
  'Scopes: `admin` keys may do everything; `read` keys may call GET routes; `submit` keys may start runs and read and act on their own runs only.',
  'Each operation names its rule in `x-flowforge-access`: `public` (no key), `read` (admin, read), `own` (all keys; submit keys see their own runs only), `submit` (admin, submit; submit keys act on their own runs only), `admin`.',
].join(' ');

export function buildOpenApi(routes: readonly AnyRoute[]): Json {
  const names = namedSchemas();
  const paths: Record<string, Json> = {};
  for (const r of [...routes].sort((a, b) => openApiPath(a.path).localeCompare(openApiPath(b.path)))) {
    const p = (paths[openApiPath(r.path)] ??= {});
    p[r.method.toLowerCase()] = operation(r, names);
  }
  const problemResponses: Json = {};
  for (const status of [400, 401, 403, 404, 405, 409, 413, 415, 421, 429, 503]) {
    problemResponses[`Problem${status}`] = {
      description: STATUS_CODES[status],
      content: { 'application/problem+json': { schema: { $ref: `${COMPONENT}Problem` } } },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'FlowForge API',
      version,
      description: [
        'The loopback API of the FlowForge supervisor. Every path also answers without the /v1 prefix (legacy aliases, marked Deprecation: true).',
        'Requests must name 127.0.0.1:<port> or localhost:<port> as Host; browser requests need an allow-listed Origin.',
        'Errors are RFC 7807 problem documents with request_id. Writes accept Idempotency-Key.',
        ACCESS_TEXT,
      ].join('\n\n'),
    },
    servers: [
      { url: 'http://127.0.0.1:{port}/v1', variables: { port: { default: '7777', description: 'The port in the discovery file.' } } },
      { url: 'http://127.0.0.1:{port}', description: 'Legacy aliases without /v1.', variables: { port: { default: '7777' } } },
    ],
    security: [{ bearerAuth: [] }],
    tags: ['health', 'runs', 'control', 'evidence', 'workspaces', 'docs'].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: ACCESS_TEXT } },
      parameters: {
        XRequestId: {
          name: 'X-Request-Id',
          in: 'header',
          required: false,
          description: '1-128 visible ASCII characters; echoed, stored on audit rows. Generated when absent or invalid.',
          schema: { type: 'string' },
        },
        IdempotencyKey: {
          name: 'Idempotency-Key',
          in: 'header',
          required: false,
          description: 'Same key and body within 24 h: the first answer is replayed with X-Idempotent-Replay: true. Same key, different body: 409.',
          schema: { type: 'string', pattern: '^[\\x21-\\x7e]{1,128}$' },
        },
        LastEventId: {
          name: 'Last-Event-ID',
          in: 'header',
          required: false,
          description: 'The id of the last event received; the stream first replays every later event.',
          schema: { type: 'string', pattern: '^[0-9]+$' },
        },
      },
      responses: problemResponses,
      schemas: components(names),
    },
  };
}

export const renderOpenApiYaml = (routes: readonly AnyRoute[]) =>
  `# Generated from server/api (routes and zod schemas); do not edit by hand.\n${stringify(buildOpenApi(routes), { lineWidth: 0 })}`;
