// The message protocol between the incident panel (webview) and the extension
// host, GitLens-style: the webview sends commands and requests (each with an
// id), the host answers each request with the response it names, carrying
// that id, and pushes notifications. The host validates every inbound
// message with these schemas; the webview imports the types only, so zod never
// reaches the browser bundle.
import { z } from 'zod';
import { IncidentDetail, IncidentPage, TimelinePage } from './api';
import { Incident, IncidentStatus, Sample, TimelineEvent, TimelineKind } from './domain';
import { ACTION_REQUESTS, DEFAULT_PANEL_STATE, HOST_COMMANDS, MAX_ACTION_REASON, MAX_CLIPBOARD_TEXT } from './panelDefaults';

const Id = z.string().min(1).max(200);
const Cursor = z.string().min(1).max(2000);
export const RequestId = z.string().min(1).max(64);

export const PanelView = z.enum(['incidents', 'timeline', 'incident']);
export type PanelView = z.infer<typeof PanelView>;

/** Filters of the incident list. `null` means "any". */
export const IncidentFilters = z.object({
  workspace_id: Id.nullable(),
  status: IncidentStatus.nullable(),
  kind: z.string().min(1).max(100).nullable(),
});
export type IncidentFilters = z.infer<typeof IncidentFilters>;

/**
 * What the panel shows: persisted by the webview (`setState`), handed to the
 * serializer after a reload, and kept by the host to rebuild the full state.
 */
export const PanelState = z.object({
  v: z.literal(1),
  view: PanelView,
  incident_id: Id.nullable(),
  filters: IncidentFilters,
  /** Timeline kinds shown; empty means all. The folder filter is shared with the list. */
  timeline_kinds: z.array(TimelineKind).max(TimelineKind.options.length),
});
export type PanelState = z.infer<typeof PanelState>;

/** The default state is declared without zod (panelDefaults.ts); it must be a PanelState. */
DEFAULT_PANEL_STATE satisfies PanelState;

/** Pages of the lists: the API's own page schemas. */
export { IncidentPage, TimelinePage };
export type IncidentPage = z.infer<typeof IncidentPage>;
export type TimelinePage = z.infer<typeof TimelinePage>;

/** Everything the drill-down shows for one incident: the API's answer, as is. */
export { IncidentDetail } from './api';

export const WorkspaceOption = z.object({ id: Id, name: z.string() });
export type WorkspaceOption = z.infer<typeof WorkspaceOption>;

export const HostCommandName = z.enum(HOST_COMMANDS);
export type HostCommandName = z.infer<typeof HostCommandName>;

// ---- webview → host ------------------------------------------------------
// Two kinds of message go this way, as in GitLens's IPC: commands (`ready`,
// `state/changed`: nothing answers them) and requests. Every message carries an
// id; a request names its response (RESPONSE_OF) and the host answers with that
// notification carrying the request's id as `request_id` — or with `error`
// when the request failed. (The list pages still repeat their filters and
// cursor, which the webview matches them by.)

const message = <T extends string, P extends z.ZodType>(type: T, params: P) =>
  z.object({ type: z.literal(type), id: RequestId, params });

const ActionParams = z.object({
  run_id: Id,
  reason: z.string().trim().min(1).max(MAX_ACTION_REASON),
});

/** The webview is (re)loaded: the host answers with `state/full`. */
export const ReadyCommand = message('ready', z.object({ state: PanelState.nullable() }));
export const StateChangedCommand = message('state/changed', z.object({ state: PanelState }));
export const IncidentsListRequest = message(
  'incidents/list',
  z.object({ filters: IncidentFilters, cursor: Cursor.nullable(), limit: z.number().int().min(1).max(500) }),
);
export const IncidentOpenRequest = message('incident/open', z.object({ incident_id: Id }));
export const TimelineListRequest = message(
  'timeline/list',
  z.object({
    kinds: z.array(TimelineKind),
    workspace_id: Id.nullable(),
    cursor: Cursor.nullable(),
    limit: z.number().int().min(1).max(500),
  }),
);
export const RunStopRequest = message('run/stop', ActionParams);
export const RunRestartRequest = message('run/restart', ActionParams);
/** "Not a runaway": the signature learned from the incident stops alerting and stopping (POST /v1/incidents/{id}/allow). */
export const IncidentAllowRequest = message('incident/allow', z.object({ incident_id: Id, reason: ActionParams.shape.reason }));
export const CommandRunRequest = message('command/run', z.object({ command: HostCommandName }));
export const ClipboardWriteRequest = message('clipboard/write', z.object({ text: z.string().min(1).max(MAX_CLIPBOARD_TEXT) }));
/** Export the incident's signed evidence bundle into a folder the person picks in a save dialog. */
export const IncidentExportRequest = message('incident/export', z.object({ incident_id: Id }));

export const WebviewToHost = z.discriminatedUnion('type', [
  ReadyCommand,
  StateChangedCommand,
  IncidentsListRequest,
  IncidentOpenRequest,
  TimelineListRequest,
  RunStopRequest,
  RunRestartRequest,
  IncidentAllowRequest,
  CommandRunRequest,
  ClipboardWriteRequest,
  IncidentExportRequest,
]);
export type WebviewToHost = z.infer<typeof WebviewToHost>;
export type WebviewCommandType = WebviewToHost['type'];
export type WebviewCommand<T extends WebviewCommandType> = Extract<WebviewToHost, { type: T }>;

// ---- host → webview ------------------------------------------------------

const notification = <T extends string, P extends z.ZodType>(type: T, params: P) =>
  z.object({ type: z.literal(type), params });
/** A response: `request_id` is the id of the request it answers; `null` when the host pushes it unasked. */
const response = <T extends string, P extends z.ZodType>(type: T, params: P) =>
  z.object({ type: z.literal(type), request_id: RequestId.nullable(), params });

export const StateFullNotification = notification(
  'state/full',
  z.object({
    state: PanelState,
    workspaces: z.array(WorkspaceOption),
    /** First page of the list under `state.filters`; null when it could not be loaded (see `error`). */
    incidents: IncidentPage.nullable(),
    /** The selected incident, when `state.incident_id` is set and still exists. */
    detail: IncidentDetail.nullable(),
    /** First timeline page, when the timeline is the current view. */
    timeline: TimelinePage.nullable(),
    /** A problem building the state (e.g. the backend is not reachable yet). */
    error: z.string().nullable(),
  }),
);
export const IncidentsPageResponse = response(
  'incidents/page',
  z.object({ filters: IncidentFilters, cursor: Cursor.nullable(), page: IncidentPage }),
);
/** Also pushed (`request_id: null`) when live events changed the open incident. */
export const IncidentDetailResponse = response('incident/detail', z.object({ detail: IncidentDetail }));
export const IncidentUpsertNotification = notification('incident/upsert', z.object({ incident: Incident }));
export const SampleAppendNotification = notification('sample/append', z.object({ sample: Sample }));
export const TimelinePageResponse = response(
  'timeline/page',
  z.object({ kinds: z.array(TimelineKind), workspace_id: Id.nullable(), cursor: Cursor.nullable(), page: TimelinePage }),
);
/** New journal rows, newest first. */
export const TimelineAppendNotification = notification('timeline/append', z.object({ events: z.array(TimelineEvent) }));
export const ActionResultResponse = response(
  'action/result',
  z.object({
    action: z.enum(ACTION_REQUESTS),
    ok: z.boolean(),
    /** A sentence for the person: what happened, or what went wrong and what to do. */
    message: z.string(),
  }),
);
/** The answer to any request that failed. */
export const ErrorResponse = response('error', z.object({ message: z.string() }));

export const HostToWebview = z.discriminatedUnion('type', [
  StateFullNotification,
  IncidentsPageResponse,
  IncidentDetailResponse,
  IncidentUpsertNotification,
  SampleAppendNotification,
  TimelinePageResponse,
  TimelineAppendNotification,
  ActionResultResponse,
  ErrorResponse,
]);
export type HostToWebview = z.infer<typeof HostToWebview>;
export type HostMessageType = HostToWebview['type'];
export type HostMessage<T extends HostMessageType> = Extract<HostToWebview, { type: T }>;

/** Each request and the response that answers it. */
export const RESPONSE_OF = {
  'incidents/list': 'incidents/page',
  'incident/open': 'incident/detail',
  'timeline/list': 'timeline/page',
  'run/stop': 'action/result',
  'run/restart': 'action/result',
  'incident/allow': 'action/result',
  'command/run': 'action/result',
  'clipboard/write': 'action/result',
  'incident/export': 'action/result',
} as const satisfies Partial<Record<WebviewCommandType, HostMessageType>>;
export type PanelRequestType = keyof typeof RESPONSE_OF;
export type ResponseOf<T extends PanelRequestType> = HostMessage<(typeof RESPONSE_OF)[T]>;
