// The evidence: incidents, the timeline (and one incident's chain), the
// lifecycle of runs, everything one request caused, and the live stream.
import {
  IncidentDetail,
  IncidentDetailQuery,
  IncidentIdParams,
  IncidentPage,
  IncidentsQuery,
  LifecycleQuery,
  PAGE_LIMIT_DEFAULT,
  RequestIdParams,
  RequestTrace,
  RequestTraceQuery,
  StreamQuery,
  TimelinePage,
  TimelineQuery,
  WorkerLifecycle,
  STREAM_EVENTS,
} from '../../shared/protocol/api';
import type { TimelineEvent } from '../../shared/protocol/domain';
import type { Principal } from '../keys';
import { ownerScope } from '../owners';
import { badRequest, notFound } from '../problems';
import { ok, type Reply } from '../reply';
import { route, type AnyRoute } from '../routeTable';
import { cachedPage, type ApiServices } from '../services';

export function readRoutes(s: ApiServices): AnyRoute[] {
  const visible = (principal: Principal | null, events: TimelineEvent[]) => events.filter((e) => s.owners.visible(principal, e.run_id));

  function incidentChain(incidentId: string, principal: Principal | null): Reply {
    const incident = s.store.getIncident(incidentId);
    if (!incident || !s.owners.visible(principal, incident.run_id)) throw notFound(`no incident with id '${incidentId}'`);
    return ok({ items: s.store.incidentChain(incidentId), next_cursor: null, has_more: false });
  }

  return [
    route({
      method: 'GET',
      path: '/v1/incidents',
      operationId: 'listIncidents',
      summary: 'Incidents, newest first (cursor-paginated).',
      tag: 'evidence',
      access: 'own',
      query: IncidentsQuery,
      responses: { 200: { description: 'A page of incidents.', schema: IncidentPage } },
      handle: (call) => {
        const owner = ownerScope(call.principal);
        return cachedPage(s, call, owner, () => s.store.listIncidents({ ...call.query, limit: call.query.limit ?? PAGE_LIMIT_DEFAULT, owner }));
      },
    }),
    route({
      method: 'GET',
      path: '/v1/incidents/:id',
      operationId: 'getIncident',
      summary: 'One incident with its run, the run’s newest samples, its decisions and its journal chain.',
      description: 'Everything the drill-down shows, read from the store in one go: `samples` (default 300) newest samples of the run, the incident’s decisions and its chain, all oldest first. `run` is null when retention already removed the run.',
      tag: 'evidence',
      access: 'own',
      params: IncidentIdParams,
      query: IncidentDetailQuery,
      responses: { 200: { description: 'The incident and its evidence.', schema: IncidentDetail } },
      errors: [404],
      handle: ({ params, query, principal }) => {
        const detail = s.store.incidentDetail(params.id, query.samples ?? 300);
        if (!detail || !s.owners.visible(principal, detail.incident.run_id)) throw notFound(`no incident with id '${params.id}'`);
        return ok(detail);
      },
    }),
    route({
      method: 'GET',
      path: '/v1/timeline',
      operationId: 'getTimeline',
      summary: 'Everything FlowForge recorded, newest first (cursor-paginated); or one incident’s chain.',
      description: 'With `incident_id`: the whole drill-down chain of that incident (its run’s lifecycle, decisions, incident rows and audit events), oldest first, in one page.',
      tag: 'evidence',
      access: 'own',
      query: TimelineQuery,
      responses: { 200: { description: 'A page of timeline events.', schema: TimelinePage } },
      errors: [404],
      handle: (call) => {
        const { query, principal } = call;
        if (query.incident_id !== undefined) {
          if (query.cursor !== undefined) throw badRequest('incident_id returns the whole chain in one page; drop cursor');
          return incidentChain(query.incident_id, principal);
        }
        const { incident_id: _unused, ...filters } = query;
        const owner = ownerScope(principal);
        return cachedPage(s, call, owner, () => s.store.timeline({ ...filters, limit: query.limit ?? PAGE_LIMIT_DEFAULT, owner }));
      },
    }),
    route({
      method: 'GET',
      path: '/v1/worker/lifecycle',
      operationId: 'getWorkerLifecycle',
      summary: 'The phase of every active run, and recent lifecycle transitions.',
      tag: 'evidence',
      access: 'own',
      query: LifecycleQuery,
      responses: { 200: { description: 'Active runs and recent transitions (newest first).', schema: WorkerLifecycle } },
      handle: ({ query, principal }) => {
        const active = s.engine
          .activeJobs()
          .map((j) => j.currentRun)
          .filter((r) => r !== null && s.owners.visible(principal, r.id))
          .map((r) => ({ run_id: r!.id, job_id: r!.job_id, name: r!.name, phase: r!.lifecycle, pid: r!.pid, workspace_id: r!.workspace_id, started_at: r!.started_at }));
        const recent = s.store.timeline({ kinds: ['lifecycle'], limit: query.limit ?? 50, owner: ownerScope(principal) }).items;
        return ok({ active, recent });
      },
    }),
    route({
      method: 'GET',
      path: '/v1/ops/requests/:request_id',
      operationId: 'getRequestTrace',
      summary: 'Every event one request caused (by its X-Request-Id), oldest first.',
      tag: 'evidence',
      access: 'own',
      params: RequestIdParams,
      query: RequestTraceQuery,
      responses: { 200: { description: 'The events.', schema: RequestTrace } },
      handle: ({ params, query, principal }) => {
        const events = visible(principal, s.store.eventsByRequest(params.request_id, query.limit ?? 200));
        return ok({ request_id: params.request_id, count: events.length, events });
      },
    }),
    route({
      method: 'GET',
      path: '/v1/stream',
      operationId: 'getStream',
      summary: 'Server-sent events: every change as it happens; resume with Last-Event-ID.',
      description: [
        `Events: ${STREAM_EVENTS.map((e) => '`' + e + '`').join(', ')}.`,
        '`run`, `decision`, `incident`, `lifecycle` and `audit` carry a TimelineEvent (its `data` is the record) and `id:` = its `seq`;',
        'reconnect with `Last-Event-ID` (or `?last_event_id=`) to receive exactly the events missed.',
        '`sample` (a Sample) and `output` (`{run_id, stream, text}`, redacted; needs `output=1&run_id=`) are live only and carry no id.',
        'A `: keepalive` comment comes every 15 s. A client that does not read is dropped with a final comment.',
        'A submit key receives only the events of its own runs.',
        'One key holds at most 64 open streams; one more is 429 (too-many-streams).',
      ].join(' '),
      tag: 'evidence',
      access: 'own',
      query: StreamQuery,
      responses: { 200: { description: 'text/event-stream', contentType: 'text/event-stream' } },
      errors: [429],
      raw: ({ query, principal, headers }, res) => {
        const header = headers['last-event-id'];
        return s.stream.serve(res, principal!, query, typeof header === 'string' ? header : undefined);
      },
    }),
  ];
}
