// Every route of the API, in the order the app mounts them.
import type { AnyRoute } from '../routeTable';
import type { ApiServices } from '../services';
import { docsRoute } from './docs';
import { evidenceRoutes } from './evidence';
import { healthRoutes } from './health';
import { opsRoutes } from './ops';
import { readRoutes } from './reads';
import { runRoutes } from './runs';
import { signatureRoutes } from './signatures';
import { workspaceRoutes } from './workspaces';

export function apiRoutes(s: ApiServices): AnyRoute[] {
  const routes = [...healthRoutes(s), ...runRoutes(s), ...readRoutes(s), ...evidenceRoutes(s), ...signatureRoutes(s), ...opsRoutes(s), ...workspaceRoutes(s)];
  routes.push(docsRoute(() => routes));
  return routes;
}
