// Control-plane history: how often clients repeated a request with the same
// Idempotency-Key (and got the first answer back) or reused a key for a
// different request, per UTC day.
import { REPLAY_HISTORY_DAYS_MAX, ReplayHistory, ReplayHistoryQuery } from '../../shared/protocol/api';
import { DAY_MS } from '../../store/retention';
import { ok } from '../reply';
import { route, type AnyRoute } from '../routeTable';
import type { ApiServices } from '../services';

const DEFAULT_DAYS = 7;
const isoDay = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);

export function opsRoutes(s: ApiServices): AnyRoute[] {
  return [
    route({
      method: 'GET',
      path: '/v1/ops/controlplane/replay/history',
      operationId: 'getReplayHistory',
      summary: 'Idempotent replays and key conflicts per UTC day, oldest first.',
      description: `\`days\` 1..${REPLAY_HISTORY_DAYS_MAX} (default ${DEFAULT_DAYS}), today included; days without any are 0. Counts of every client, so read and admin keys only.`,
      tag: 'evidence',
      access: 'read',
      query: ReplayHistoryQuery,
      responses: { 200: { description: 'One point per day.', schema: ReplayHistory } },
      handle: ({ query }) => {
        const days = query.days ?? DEFAULT_DAYS;
        const today = Math.floor(s.clock.now() / DAY_MS);
        const counted = new Map(s.store.idempotencyDays(today - days + 1, today).map((d) => [d.day, d]));
        const points = Array.from({ length: days }, (_, i) => {
          const day = today - days + 1 + i;
          const c = counted.get(day);
          return { day: isoDay(day), replay_events: c?.replays ?? 0, conflict_events: c?.conflicts ?? 0 };
        });
        const sum = (k: 'replay_events' | 'conflict_events') => points.reduce((n, p) => n + p[k], 0);
        return ok({ days, replay_events: sum('replay_events'), conflict_events: sum('conflict_events'), points });
      },
    }),
  ];
}
