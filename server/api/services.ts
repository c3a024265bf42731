// What the route handlers work with, built once per API instance.
import type { Engine } from '../engine/engine';
import type { Signer } from '../evidence/sign';
import type { EvidenceStore } from '../store/types';
import type { Clock } from '../util/clock';
import type { Logger } from '../util/logger';
import type { Principal } from './keys';
import type { ApiMetrics } from './metrics';
import type { OutputHub } from './outputHub';
import type { OwnerIndex } from './owners';
import type { PageCache } from './pageCache';
import type { Actor, RunControl } from './runControl';
import { canonicalJson } from './idempotency';
import { okJson, type Reply } from './reply';
import type { Call } from './routeTable';
import type { StreamHub } from './streamHub';
import type { Workspaces } from './workspaces';

export interface ApiServices {
  engine: Engine;
  store: EvidenceStore;
  clock: Clock;
  logger: Logger;
  metrics: ApiMetrics;
  outputs: OutputHub;
  owners: OwnerIndex;
  pages: PageCache;
  runs: RunControl;
  workspaces: Workspaces;
  stream: StreamHub;
  /** Signs evidence bundles (GET /v1/incidents/{id}/evidence); read when a bundle is made, so a key made later is used. */
  evidenceSigner: () => Signer;
}

/** A list page from the page cache: same path, query and owner scope → the same answer until something changes. */
export function cachedPage(s: ApiServices, call: Call<unknown, unknown, unknown>, owner: string | undefined, build: () => unknown): Reply {
  return okJson(s.pages.json(`${call.path}|${owner ?? '*'}|${canonicalJson(call.query)}`, build));
}

/** The caller of an authenticated route, as the engine records it. */
export function actorOf(call: Call<unknown, unknown, unknown>): Actor {
  return { principal: call.principal as Principal, requestId: call.requestId };
}
