// The incident panel's backend (src/panel/panelBackend.ts) over the /v1 API
// and the window's event stream. One incident's drill-down is one request
// (GET /v1/incidents/{id}); live events come checked from BackendEvents.
import type { IncidentDetail } from '../../server/shared/protocol/api';
import { DETAIL_SAMPLES } from '../../server/shared/protocol/panelDefaults';
import type { BackendEvent, Disposable, IncidentQuery, PanelBackend, TimelineQuery } from '../panel/panelBackend';
import { ApiError, type ApiClient } from './apiClient';
import type { BackendEvents } from './backendEvents';

export interface FolderList {
  folders(): { id: string; name: string }[];
}

/** A read about one incident, with a 404 said in words. */
async function readIncident<T>(id: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) throw new Error(`incident ${id} was not found (retention may have removed it)`);
    throw err;
  }
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

  incidentDetail(id: string): Promise<IncidentDetail> {
    return readIncident(id, () => this.client.incidentDetail(id, DETAIL_SAMPLES));
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

  exportEvidence(incidentId: string) {
    return readIncident(incidentId, () => this.client.incidentEvidence(incidentId));
  }

  async allowIncident(incidentId: string, reason: string): Promise<void> {
    await this.client.allowIncident(incidentId, reason);
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

  onReconnect(listener: () => void): Disposable {
    return this.events.on('reconnect', listener);
  }
}
