// The extension's typed client of the backend's /v1 API. Every request gets
// an X-Request-Id (so the timeline ties an action to its request), every write
// an Idempotency-Key (a retry after a dropped connection is safe), and every
// answer is checked with the shared zod schemas before anyone uses it.
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import {
  EvidenceBundle,
  IncidentDetail,
  IncidentPage,
  InputResult,
  LatestIncident,
  LinesResult,
  Problem,
  IncidentAllowed,
  ProcessActionResult,
  RunCreated,
  RunDetail,
  RunOutput,
  RunPage,
  SignalResult,
  TimelinePage,
  WorkerLifecycle,
  WorkspaceRegistered,
  WorkspaceResult,
  WorkspaceStatus,
  WorkspaceUnregistered,
  type IncidentsQuery,
  type LinesBody,
  type RegisterWorkspaceBody,
  type RunsQuery,
  type SIGNALS,
  type StartRunBody,
  type TimelineQuery,
  type WatchBody,
} from '../../server/shared/protocol/api';
import type { Run } from '../../server/shared/protocol/domain';

/** Where the backend listens and the key it accepts. */
export interface Endpoint {
  url: string;
  key: string;
}

export type EndpointSource = () => Promise<Endpoint>;

/** An answer that was not a success: the problem's detail is the message a person reads. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly problem: Problem | null,
    /** From `Retry-After` (429: restart budget spent). */
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

const REQUEST_TIMEOUT_MS = 15_000;

type Query = Record<string, string | number | boolean | string[] | null | undefined>;

interface RequestOptions<S extends z.ZodType> {
  query?: Query;
  body?: unknown;
  schema: S;
}

export function queryString(query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null) continue;
    params.set(k, Array.isArray(v) ? v.join(',') : String(v));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

/** Query values as the API reads them: the zod output types, back to strings. */
type QueryOf<T> = { [K in keyof T]?: T[K] | null };

export class ApiClient {
  constructor(private readonly endpoint: EndpointSource) {}

  /** The endpoint, once the backend is up (for the SSE stream and "Copy API URL and Key"). */
  current(): Promise<Endpoint> {
    return this.endpoint();
  }

  // ---------------------------------------------------------------- runs

  listRuns(query: QueryOf<RunsQuery>) {
    return this.get('/v1/runs', { query, schema: RunPage });
  }

  getRun(id: string, samples?: number) {
    return this.get(`/v1/runs/${enc(id)}`, { query: { samples }, schema: RunDetail });
  }

  runOutput(id: string, limit?: number) {
    return this.get(`/v1/runs/${enc(id)}/output`, { query: { limit }, schema: RunOutput });
  }

  /** The run's output from byte `after` on (`chunks`), and where it ends. */
  runOutputAfter(id: string, after: number) {
    return this.get(`/v1/runs/${enc(id)}/output`, { query: { after }, schema: RunOutput });
  }

  async startRun(body: z.input<typeof StartRunBody>): Promise<Run> {
    return (await this.post('/v1/runs', { body, schema: RunCreated })).run;
  }

  async watch(body: z.input<typeof WatchBody>): Promise<Run> {
    return (await this.post('/v1/watch', { body, schema: RunCreated })).run;
  }

  signal(id: string, signal: (typeof SIGNALS)[number]) {
    return this.post(`/v1/runs/${enc(id)}/signal`, { body: { signal }, schema: SignalResult });
  }

  input(id: string, data: string) {
    return this.post(`/v1/runs/${enc(id)}/input`, { body: { data }, schema: InputResult });
  }

  lines(id: string, body: z.input<typeof LinesBody>) {
    return this.post(`/v1/runs/${enc(id)}/lines`, { body, schema: LinesResult });
  }

  kill(runId: string, reason: string) {
    return this.post('/v1/process/kill', { body: { run_id: runId, reason }, schema: ProcessActionResult });
  }

  restart(runId: string, reason: string) {
    return this.post('/v1/process/restart', { body: { run_id: runId, reason }, schema: ProcessActionResult });
  }

  allowIncident(incidentId: string, reason: string) {
    return this.post(`/v1/incidents/${enc(incidentId)}/allow`, { body: { reason }, schema: IncidentAllowed });
  }

  workerLifecycle(limit?: number) {
    return this.get('/v1/worker/lifecycle', { query: { limit }, schema: WorkerLifecycle });
  }

  // ---------------------------------------------------------------- evidence

  /** One incident's drill-down: the incident, its run, the run's newest `samples` samples, its decisions and chain. */
  incidentDetail(id: string, samples?: number) {
    return this.get(`/v1/incidents/${enc(id)}`, { query: { samples }, schema: IncidentDetail });
  }

  /** One incident's signed evidence bundle, as file contents (the caller writes them where the person chose). */
  incidentEvidence(id: string) {
    return this.get(`/v1/incidents/${enc(id)}/evidence`, { schema: EvidenceBundle });
  }

  listIncidents(query: QueryOf<IncidentsQuery>) {
    return this.get('/v1/incidents', { query, schema: IncidentPage });
  }

  timeline(query: QueryOf<TimelineQuery>) {
    return this.get('/v1/timeline', { query, schema: TimelinePage });
  }

  /** The journal's newest sequence number (0 when empty): where a stream resumes from. */
  async latestSeq(): Promise<number> {
    const page = await this.timeline({ limit: 1 });
    return page.items[0]?.seq ?? 0;
  }

  // ---------------------------------------------------------------- workspaces

  registerWorkspace(body: z.input<typeof RegisterWorkspaceBody>) {
    return this.post('/v1/integrations/workspaces/register', { body, schema: WorkspaceRegistered });
  }

  unregisterWorkspace(id: string, reason: string) {
    return this.request('DELETE', `/v1/integrations/workspaces/${enc(id)}`, { body: { reason }, schema: WorkspaceUnregistered });
  }

  workspaceStatus(id: string) {
    return this.get(`/v1/integrations/workspaces/${enc(id)}/status`, { schema: WorkspaceStatus });
  }

  setProtection(id: string, enabled: boolean, reason: string) {
    return this.post(`/v1/integrations/workspaces/${enc(id)}/protection`, { body: { enabled, reason }, schema: WorkspaceResult });
  }

  latestIncident(id: string) {
    return this.get(`/v1/integrations/workspaces/${enc(id)}/incidents/latest`, { schema: LatestIncident });
  }

  // ---------------------------------------------------------------- plumbing

  private get<S extends z.ZodType>(path: string, opts: RequestOptions<S>): Promise<z.output<S>> {
    return this.request('GET', path, opts);
  }

  private post<S extends z.ZodType>(path: string, opts: RequestOptions<S>): Promise<z.output<S>> {
    return this.request('POST', path, opts);
  }

  private async request<S extends z.ZodType>(method: string, path: string, opts: RequestOptions<S>): Promise<z.output<S>> {
    const write = method !== 'GET';
    const headers: Record<string, string> = { 'X-Request-Id': `vscode-${randomUUID()}`, Accept: 'application/json' };
    if (write) headers['Idempotency-Key'] = randomUUID();
    if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const send = async () => {
      const { url, key } = await this.endpoint();
      return fetch(`${url}${path}${queryString(opts.query)}`, {
        method,
        headers: { ...headers, Authorization: `Bearer ${key}` },
        body,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    };
    let res: Response;
    try {
      res = await send();
    } catch (err) {
      // The backend may have just restarted (new port): the same request again, same idempotency key.
      if (!isConnectionError(err)) throw err;
      res = await send();
    }
    return this.read(res, method, path, opts.schema);
  }

  private async read<S extends z.ZodType>(res: Response, method: string, path: string, schema: S): Promise<z.output<S>> {
    const text = await res.text();
    const json = parseJson(text);
    if (!res.ok) throw errorFrom(res, json, `${method} ${path}`);
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ApiError(
        `the FlowForge backend answered ${method} ${path} with an unexpected body (${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'})`,
        res.status,
        null,
      );
    }
    return parsed.data;
  }
}

const enc = encodeURIComponent;

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return text;
  }
}

function isConnectionError(err: unknown): boolean {
  const cause = (err as { cause?: { code?: string } })?.cause;
  return err instanceof TypeError && ['ECONNREFUSED', 'ECONNRESET', 'UND_ERR_SOCKET'].includes(cause?.code ?? '');
}

function errorFrom(res: Response, json: unknown, what: string): ApiError {
  const problem = Problem.safeParse(json);
  const header = Number(res.headers.get('retry-after'));
  const retryAfter = Number.isFinite(header) && header > 0 ? header : problem.success ? (problem.data.retry_after_seconds ?? null) : null;
  if (!problem.success) return new ApiError(`${what} failed with HTTP ${res.status}`, res.status, null, retryAfter);
  // The detail already names every invalid field.
  return new ApiError(problem.data.detail, res.status, problem.data, retryAfter);
}
