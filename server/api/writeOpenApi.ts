// Writes docs/openapi.yaml from the route table (run after changing a route or
// a schema; the openapi unit test fails until you do):
//   node -r esbuild-register server/api/writeOpenApi.ts
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderOpenApiYaml } from './openapi';
import { apiRoutes } from './routes';
import type { ApiServices } from './services';

/** Route metadata only: handlers are never called, so they need no services. */
export const documentedRoutes = () => apiRoutes({} as ApiServices);

export const OPENAPI_FILE = join(__dirname, '..', '..', 'docs', 'openapi.yaml');

if (require.main === module) {
  writeFileSync(OPENAPI_FILE, renderOpenApiYaml(documentedRoutes()));
  process.stdout.write(`wrote ${OPENAPI_FILE}\n`);
}
