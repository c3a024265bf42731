// The incident panel's backend (src/panel/panelBackend.ts) over the /v1 API
// and the window's event stream. One incident's drill-down is composed from
// its journal chain (GET /v1/timeline?incident_id=), the incident's newest
// record, and its run with samples (GET /v1/runs/{id}).
import { Decision, Incident, type Sample } from '../../server/shared/protocol/domain';
import type { IncidentDetail } from '../../server/shared/protocol/panel';
import type { BackendEvent, Disposable, IncidentQuery, PanelBackend, TimelineQuery } from '../panel/panelBackend';
import { ApiError, type ApiClient } from './apiClient';
import type { BackendEvents } from './backendEvents';

/** Samples of the run the drill-down charts (one per second: half an hour). */
const DETAIL_SAMPLES = 1800;

export interface FolderList {
  folders(): { id: string; name: string }[];
}

export class ApiPanelBackend implements PanelBackend {
  constructor(
    private readonly client: ApiClient,
    private readonly events: BackendEvents,
    private readonly workspaceFolders: FolderList,
  ) {}

  listIncidents(q: IncidentQuery) {
    return this.client.listIncidents({ limit: q.limit, cursor: q.cursor, workspace_id: q.workspace_id, status: q.status, kind: q.kind });
  }

  timeline(q: TimelineQuery) {
    return this.client.timeline({ limit: q.limit, cursor: q.cursor, kinds: q.kinds?.length ? q.kinds : undefined, workspace_id: q.workspace_id });
  }

  async incidentDetail(id: string): Promise<IncidentDetail> {
    const chain = (await this.client.timeline({ incident_id: id })).items;
    const recorded = chain
      .filter((e) => e.kind === 'incident' && e.ref_id === id)
      .map((e) => Incident.safeParse(e.data))
      .flatMap((r) => (r.success ? [r.data] : []))
      .pop();
    if (!recorded) throw new Error(`incident ${id} was not found (retention may have removed it)`);
    const [fresh, runDetail] = await Promise.all([
      this.client.listIncidents({ run_id: recorded.run_id, limit: 50 }).then((p) => p.items.find((i) => i.id === id)),
      this.client.getRun(recorded.run_id, DETAIL_SAMPLES).catch((err: unknown) => {
        if (err instanceof ApiError && err.status === 404) return null;
        throw err;
      }),
    ]);
    const decisions = chain
      .filter((e) => e.kind === 'decision' && e.incident_id === id)
      .map((e) => Decision.safeParse(e.data))
      .flatMap((r) => (r.success ? [r.data] : []));
    const samples: Sample[] = runDetail?.samples ?? [];
    return { incident: fresh ?? recorded, run: runDetail?.run ?? null, samples, decisions, chain };
  }

  async stopRun(runId: string, reason: string): Promise<void> {
    await this.client.kill(runId, reason);
  }

  async restartRun(runId: string, reason: string): Promise<void> {
    try {
      await this.client.restart(runId, reason);
    } catch (err) {
      if (err instanceof ApiError && err.retryAfterSeconds) throw new Error(`${err.message} Try again in ${err.retryAfterSeconds} s.`);
      throw err;
    }
  }

  async workspaces(): Promise<{ id: string; name: string }[]> {
    return this.workspaceFolders.folders().map((f) => ({ id: f.id, name: f.name }));
  }

  onEvent(listener: (e: BackendEvent) => void): Disposable {
    // The journal row itself (its data is the record): the panel needs seq and summary for its timeline.
    const journal = this.events.on('journal', (e) => listener({ kind: e.kind, data: e }));
    const samples = this.events.on('sample', (s) => listener({ kind: 'sample', data: s }));
    return { dispose: () => (journal.dispose(), samples.dispose()) };
  }
}
