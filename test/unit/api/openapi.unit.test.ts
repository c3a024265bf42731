import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { createApp, type ApiApp } from '../../../server/api';
import { buildOpenApi, openApiPath } from '../../../server/api/openapi';
import { API_PREFIX } from '../../../server/api/routeTable';
import { documentedRoutes, OPENAPI_FILE } from '../../../server/api/writeOpenApi';
import { Engine } from '../../../server/engine/engine';
import { openStore } from '../../../server/store';
import type { EvidenceStore } from '../../../server/store/types';

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
}

/** `METHOD /path` of every route the express app really has, in OpenAPI form (legacy aliases fold into /v1). */
function expressOperations(api: ApiApp): Set<string> {
  const stack = (api.app as unknown as { router: { stack: Layer[] } }).router.stack;
  const ops = new Set<string>();
  let legacy = 0;
  for (const layer of stack) {
    if (!layer.route) continue;
    const path = layer.route.path;
    if (!path.startsWith(API_PREFIX + '/')) legacy++;
    for (const [method, on] of Object.entries(layer.route.methods)) if (on && method !== '_all') ops.add(`${method.toUpperCase()} ${openApiPath(path.startsWith(API_PREFIX + '/') ? path : API_PREFIX + path)}`);
  }
  assert.ok(legacy > 0 && legacy * 2 === stack.filter((l) => l.route).length, 'every route has its legacy alias');
  return ops;
}

function documentedOperations(doc: { paths: Record<string, Record<string, unknown>> }): Set<string> {
  const ops = new Set<string>();
  for (const [path, item] of Object.entries(doc.paths)) for (const method of Object.keys(item)) ops.add(`${method.toUpperCase()} ${path}`);
  return ops;
}

describe('api: OpenAPI document', () => {
  let store: EvidenceStore;
  let api: ApiApp;
  before(async () => {
    store = (await openStore({ path: null })).store;
    api = createApp({ engine: new Engine({ store }), keys: [{ name: 'k', scope: 'admin', key: 'k'.repeat(32) }], port: 1 });
  });
  after(async () => {
    api.close();
    await store.close();
  });

  it('docs/openapi.yaml lists exactly the routes of the express app', () => {
    const file = parse(readFileSync(OPENAPI_FILE, 'utf8'));
    const inApp = expressOperations(api);
    const inDoc = documentedOperations(file);
    assert.deepEqual([...inApp].filter((op) => !inDoc.has(op)), [], 'routes missing from docs/openapi.yaml');
    assert.deepEqual([...inDoc].filter((op) => !inApp.has(op)), [], 'documented routes the app does not have');
    assert.ok(inApp.size >= 25, `${inApp.size} operations`);
  });

  it('docs/openapi.yaml is up to date (regenerate: node -r esbuild-register scripts/write-openapi.ts)', () => {
    const file = parse(readFileSync(OPENAPI_FILE, 'utf8'));
    assert.deepEqual(file, JSON.parse(JSON.stringify(buildOpenApi(documentedRoutes()))));
  });

  it('is OpenAPI 3.1 with resolvable references and the security rules', () => {
    const doc = buildOpenApi(api.routes) as { openapi: string; paths: Record<string, Record<string, { security: unknown[]; responses: object }>> };
    assert.equal(doc.openapi, '3.1.0');
    const text = JSON.stringify(doc);
    for (const [, ref] of text.matchAll(/"\$ref":"#\/([^"]+)"/g)) {
      const target = ref!.split('/').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], doc);
      assert.ok(target, `dangling $ref #/${ref}`);
    }
    assert.deepEqual(doc.paths['/healthz']!.get!.security, []);
    assert.deepEqual(doc.paths['/runs']!.post!.security, [{ bearerAuth: [] }]);
    assert.ok('429' in doc.paths['/process/restart']!.post!.responses);
  });
});
