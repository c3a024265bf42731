// The route table as documentation: docs/openapi.yaml is written from it by
// scripts/write-openapi.ts (run after changing a route or a schema; the
// openapi unit test fails until you do).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderOpenApiYaml } from './openapi';
import { apiRoutes } from './routes';
import type { ApiServices } from './services';

/** Route metadata only: handlers are never called, so they need no services. */
export const documentedRoutes = () => apiRoutes({} as ApiServices);

export const OPENAPI_FILE = join(__dirname, '..', '..', 'docs', 'openapi.yaml');

export function writeOpenApiFile(): string {
  writeFileSync(OPENAPI_FILE, renderOpenApiYaml(documentedRoutes()));
  return OPENAPI_FILE;
}
