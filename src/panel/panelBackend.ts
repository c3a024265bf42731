// What the incident panel needs from the backend. The extension implements it
// with the /v1 API client (and the SSE stream for `onEvent`); tests implement it
// in memory. The panel never talks to the API any other way.
import type { Incident, TimelineEvent, TimelineKind } from '../../server/shared/protocol/domain';
import type { IncidentDetail, IncidentPage, TimelinePage } from '../../server/shared/protocol/panel';

export type { Incident, IncidentDetail, IncidentPage, TimelineEvent, TimelinePage };

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

/** The kinds of live event the panel reacts to: the event names of GET /v1/stream. */
export type BackendEventKind = 'sample' | TimelineKind;

/**
 * One live event, as the SSE stream carries it: for `sample` the Sample; for
 * every other kind the journal row (TimelineEvent) whose `data` is the record.
 * Pass them through untouched; the panel validates them with the shared
 * schemas and drops what does not fit.
 */
export interface BackendEvent {
  kind: BackendEventKind;
  data: unknown;
}

export interface Disposable {
  dispose(): void;
}

export interface PanelBackend {
  /** Incidents, newest first (`GET /v1/incidents`). */
  listIncidents(q: IncidentQuery): Promise<IncidentPage>;
  /**
   * One incident with its run, the run's samples (oldest first), its decisions
   * and its journal chain (oldest first). With the /v1 API: the chain is
   * `GET /v1/timeline?incident_id=ID`, the incident is the `data` of its newest
   * `incident` row, the decisions are the `data` of its `decision` rows, and
   * the run with its samples is `GET /v1/runs/{run_id}`. Rejects with a
   * readable message when the incident does not exist.
   */
  incidentDetail(id: string): Promise<IncidentDetail>;
  /** The journal, newest first (`GET /v1/timeline`). */
  timeline(q: TimelineQuery): Promise<TimelinePage>;
  /** `POST /v1/process/kill`. Rejects with a readable message (e.g. the run already ended). */
  stopRun(runId: string, reason: string): Promise<void>;
  /** `POST /v1/process/restart`. Rejects with a readable message (e.g. restart budget spent, retry in N s). */
  restartRun(runId: string, reason: string): Promise<void>;
  /** The registered workspace folders, for the folder filter. */
  workspaces(): Promise<{ id: string; name: string }[]>;
  /** Live events; the returned handle stops delivery. */
  onEvent(listener: (e: BackendEvent) => void): Disposable;
}
