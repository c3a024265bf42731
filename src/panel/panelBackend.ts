// What the incident panel needs from the backend. The extension implements it
// with the /v1 API client (and the SSE stream for `onEvent`); tests implement it
// in memory. The panel never talks to the API any other way.
import type { Incident, Sample, TimelineEvent, TimelineKind } from '../../server/shared/protocol/domain';
import type { EvidenceBundle } from '../../server/shared/protocol/api';
import type { IncidentDetail, IncidentPage, TimelinePage } from '../../server/shared/protocol/panel';

export type { EvidenceBundle, Incident, IncidentDetail, IncidentPage, TimelineEvent, TimelinePage };

export interface IncidentQuery {
  /** 1..500 */
  limit: number;
  cursor?: string | null;
  workspace_id?: string | null;
  status?: 'open' | 'closed' | null;
  kind?: string | null;
}

export interface TimelineQuery {
  /** 1..500 */
  limit: number;
  cursor?: string | null;
  /** Empty or absent: every kind. */
  kinds?: TimelineKind[];
  workspace_id?: string | null;
}

/**
 * One live event, as the SSE stream carries it and already checked against
 * the shared schemas by whoever delivers it (the window's BackendEvents does,
 * once): for `sample` the Sample; for every other kind the journal row
 * (TimelineEvent) whose `data` is the record, still to be read with the
 * schema of its kind.
 */
export type BackendEvent = { kind: 'sample'; data: Sample } | { kind: TimelineKind; data: TimelineEvent };

export interface Disposable {
  dispose(): void;
}

export interface PanelBackend {
  /** Incidents, newest first (`GET /v1/incidents`). */
  listIncidents(q: IncidentQuery): Promise<IncidentPage>;
  /**
   * One incident with its run, the run's newest samples, its decisions and
   * its journal chain (all oldest first): `GET /v1/incidents/{id}?samples=N`,
   * one request. Rejects with a readable message when the incident does not exist.
   */
  incidentDetail(id: string): Promise<IncidentDetail>;
  /** The journal, newest first (`GET /v1/timeline`). */
  timeline(q: TimelineQuery): Promise<TimelinePage>;
  /** `POST /v1/process/kill`. Rejects with a readable message (e.g. the run already ended). */
  stopRun(runId: string, reason: string): Promise<void>;
  /** `POST /v1/process/restart`. Rejects with a readable message (e.g. restart budget spent, retry in N s). */
  restartRun(runId: string, reason: string): Promise<void>;
  /** The incident's signed evidence bundle (`GET /v1/incidents/{id}/evidence`): file contents, never written by the backend. */
  exportEvidence(incidentId: string): Promise<EvidenceBundle>;
  /** `POST /v1/incidents/{id}/allow` ("not a runaway"). Rejects with a readable message (e.g. it taught nothing). */
  allowIncident(incidentId: string, reason: string): Promise<void>;
  /** The registered workspace folders, for the folder filter. */
  workspaces(): Promise<{ id: string; name: string }[]>;
  /** Live events; the returned handle stops delivery. */
  onEvent(listener: (e: BackendEvent) => void): Disposable;
  /**
   * The live stream connected again after a drop: journal rows resume where
   * they stopped, but samples (live only) were missed, and the backend may be
   * a new one. Not called for the first connection.
   */
  onReconnect(listener: () => void): Disposable;
}
