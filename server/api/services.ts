// What the route handlers work with, built once per API instance.
import type { Engine } from '../engine/engine';
import type { EvidenceStore } from '../store/types';
import type { Clock } from '../util/clock';
import type { Logger } from '../util/logger';
import type { Principal } from './keys';
import type { ApiMetrics } from './metrics';
import type { OutputHub } from './outputHub';
import type { OwnerIndex } from './owners';
import type { Actor, RunControl } from './runControl';
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
  runs: RunControl;
  workspaces: Workspaces;
  stream: StreamHub;
}

/** The caller of an authenticated route, as the engine records it. */
export function actorOf(call: Call<unknown, unknown, unknown>): Actor {
  return { principal: call.principal as Principal, requestId: call.requestId };
}
