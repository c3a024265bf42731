// Runs: list, one with samples, recent output; start, watch, and steer them.
import {
  InputBody,
  InputResult,
  LinesBody,
  LinesResult,
  ProcessActionBody,
  ProcessActionResult,
  RunCreated,
  RunDetail,
  RunDetailQuery,
  RunIdParams,
  RunOutput,
  RunOutputQuery,
  RunPage,
  RunsQuery,
  SignalBody,
  SignalResult,
  StartRunBody,
  WatchBody,
  EmptyQuery,
  PAGE_LIMIT_DEFAULT,
} from '../../shared/protocol/api';
import type { Run } from '../../shared/protocol/domain';
import { forbidden, invalidField } from '../problems';
import { ok, type Reply } from '../reply';
import { route, type AnyRoute } from '../routeTable';
import { actorOf, cachedPage, type ApiServices } from '../services';

const created = (run: Run): Reply => ok({ run }, 201, { Location: `/v1/runs/${encodeURIComponent(run.id)}` });

export function runRoutes(s: ApiServices): AnyRoute[] {
  return [
    route({
      method: 'GET',
      path: '/v1/runs',
      operationId: 'listRuns',
      summary: 'Runs, newest first (cursor-paginated).',
      description: 'A submit key sees only the runs it started.',
      tag: 'runs',
      access: 'own',
      query: RunsQuery,
      responses: { 200: { description: 'A page of runs.', schema: RunPage } },
      handle: (call) => {
        const { query, principal } = call;
        let owner = query.owner;
        if (principal?.scope === 'submit') {
          if (owner !== undefined && owner !== principal.name) throw forbidden(`the key '${principal.name}' sees only the runs it started`);
          owner = principal.name;
        }
        return cachedPage(s, call, owner, () => s.store.listRuns({ ...query, limit: query.limit ?? PAGE_LIMIT_DEFAULT, owner }));
      },
    }),
    route({
      method: 'GET',
      path: '/v1/runs/:id',
      operationId: 'getRun',
      summary: 'One run with its newest samples.',
      tag: 'runs',
      access: 'own',
      params: RunIdParams,
      query: RunDetailQuery,
      responses: { 200: { description: 'The run.', schema: RunDetail } },
      errors: [404],
      handle: ({ params, query, principal }) => {
        const run = s.runs.visibleRun(params.id, principal);
        const job = s.engine.jobByRun(run.id);
        const active = !!job?.active && job.currentRun?.id === run.id;
        return ok({ run, active, samples: s.store.samples(run.id, { limit: query.samples ?? 300 }) });
      },
    }),
    route({
      method: 'GET',
      path: '/v1/runs/:id/output',
      operationId: 'getRunOutput',
      summary: "The run's recent output (redacted, at most 200 lines / 64 KB), or its output from a byte offset on.",
      description:
        'Without `after`: the newest lines, cleaned for reading. With `after=N`: the output from byte N on, as it came, in `chunks`; ' +
        'every `output` event of GET /v1/stream says which bytes it carries (`offset`, `end`), so a client that has shown bytes up to N ' +
        'asks `after=N` and shows every byte once. `truncated` says the bytes from N to `offset` were already dropped from the bounded buffer.',
      tag: 'runs',
      access: 'own',
      params: RunIdParams,
      query: RunOutputQuery,
      responses: { 200: { description: 'Recent lines, oldest first; or the output from `after` on.', schema: RunOutput } },
      errors: [400, 404],
      handle: ({ params, query, principal }) => {
        const run = s.runs.visibleRun(params.id, principal);
        if (query.after === undefined) return ok({ run_id: run.id, ...s.outputs.recent(run.id, query.limit), chunks: [] });
        if (query.limit !== undefined) throw invalidField('query.limit', 'limit counts lines; with after the answer is every byte from there on: drop one of them');
        const since = s.outputs.since(run.id, query.after);
        if (!since) throw invalidField('query.after', `lies past the end of the output this process saw for the run (ask after=0, or the end of an earlier answer)`);
        return ok({ run_id: run.id, ...since, lines: [] });
      },
    }),
    route({
      method: 'POST',
      path: '/v1/runs',
      operationId: 'startRun',
      summary: 'Start a command under supervision.',
      description: 'The run is owned by the calling key. Honours Idempotency-Key.',
      tag: 'runs',
      access: 'submit',
      query: EmptyQuery,
      body: StartRunBody,
      responses: { 201: { description: 'Started (or failing to start: see its lifecycle).', schema: RunCreated } },
      errors: [409, 503],
      handle: async (call) => created(await s.runs.start(call.body, actorOf(call))),
    }),
    route({
      method: 'POST',
      path: '/v1/watch',
      operationId: 'watchProcess',
      summary: 'Watch a command FlowForge did not start (a terminal command under its shell).',
      description: 'FlowForge watches the descendants of `pid` (never the shell itself); feed it the output with POST /runs/{id}/lines. Admin only: watching lets FlowForge kill those processes, so it is reserved for the editor that owns the terminal. The supervisor and its ancestors are refused.',
      tag: 'runs',
      access: 'admin',
      query: EmptyQuery,
      body: WatchBody,
      responses: { 201: { description: 'Watching.', schema: RunCreated } },
      errors: [409, 503],
      handle: (call) => created(s.runs.watch(call.body, actorOf(call))),
    }),
    route({
      method: 'POST',
      path: '/v1/runs/:id/signal',
      operationId: 'signalRun',
      summary: "Forward a signal to the job's process group (Ctrl+C → SIGINT).",
      tag: 'runs',
      access: 'submit',
      params: RunIdParams,
      query: EmptyQuery,
      body: SignalBody,
      responses: { 202: { description: 'Forwarded.', schema: SignalResult } },
      errors: [404, 409],
      handle: (call) => {
        const delivered = s.runs.signal(call.params.id, call.body.signal, actorOf(call));
        return ok({ run_id: call.params.id, signal: call.body.signal, delivered }, 202);
      },
    }),
    route({
      method: 'POST',
      path: '/v1/runs/:id/input',
      operationId: 'writeRunInput',
      summary: "Write to the job's stdin.",
      description: 'Input the job has not read yet is held in memory up to 1 MiB; beyond that the write is refused with 429 (input-backlog) until the job catches up.',
      tag: 'runs',
      access: 'submit',
      params: RunIdParams,
      query: EmptyQuery,
      body: InputBody,
      responses: { 202: { description: 'Written.', schema: InputResult } },
      errors: [404, 409, 429],
      handle: (call) => ok({ run_id: call.params.id, bytes: s.runs.input(call.params.id, call.body, actorOf(call)) }, 202),
    }),
    route({
      method: 'POST',
      path: '/v1/runs/:id/lines',
      operationId: 'feedRunLines',
      summary: 'Output lines a watched terminal command printed, and its end.',
      tag: 'runs',
      access: 'submit',
      params: RunIdParams,
      query: EmptyQuery,
      body: LinesBody,
      responses: { 202: { description: 'Fed to the detector.', schema: LinesResult } },
      errors: [404, 409],
      handle: (call) => ok({ run_id: call.params.id, ...s.runs.lines(call.params.id, call.body, actorOf(call)) }, 202),
    }),
    route({
      method: 'POST',
      path: '/v1/process/kill',
      operationId: 'killRun',
      summary: 'Stop a run (SIGTERM to the tree, SIGKILL after the grace period).',
      description: 'Answers at once with the new lifecycle (STOPPING); follow it on /stream or /worker/lifecycle. Honours Idempotency-Key.',
      tag: 'control',
      access: 'submit',
      query: EmptyQuery,
      body: ProcessActionBody,
      responses: { 202: { description: 'Stopping.', schema: ProcessActionResult } },
      errors: [404, 409],
      handle: (call) => ok(s.runs.stop(call.body.run_id, call.body.reason, actorOf(call)), 202),
    }),
    route({
      method: 'POST',
      path: '/v1/process/restart',
      operationId: 'restartRun',
      summary: "Restart a run's job: stop it, start it again, supervised like the first time.",
      description: 'Counted against the restart budget (default 3 in 300 s); past it: 429 with Retry-After. Honours Idempotency-Key.',
      tag: 'control',
      access: 'submit',
      query: EmptyQuery,
      body: ProcessActionBody,
      responses: { 202: { description: 'Restarting.', schema: ProcessActionResult } },
      errors: [404, 409],
      handle: (call) => ok(s.runs.restart(call.body.run_id, call.body.reason, actorOf(call)), 202),
    }),
  ];
}
