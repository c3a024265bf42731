// The message protocol between the incident panel (webview) and the extension
// host, GitLens-style: the webview sends commands (each with a request id),
// the host answers and pushes notifications. The host validates every inbound
// message with these schemas; the webview imports the types only, so zod never
// reaches the browser bundle.
import { z } from 'zod';
import { IncidentDetail } from './api';
import { Decision, Incident, IncidentStatus, Run, Sample, TimelineEvent, TimelineKind } from './domain';
import { HOST_COMMANDS, MAX_ACTION_REASON, MAX_CLIPBOARD_TEXT } from './panelDefaults';

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

const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), next_cursor: z.string().nullable(), has_more: z.boolean() });

export const IncidentPage = pageOf(Incident);
export type IncidentPage = z.infer<typeof IncidentPage>;
export const TimelinePage = pageOf(TimelineEvent);
export type TimelinePage = z.infer<typeof TimelinePage>;

/** Everything the drill-down shows for one incident: the API's answer, as is. */
export { IncidentDetail } from './api';

export const WorkspaceOption = z.object({ id: Id, name: z.string() });
export type WorkspaceOption = z.infer<typeof WorkspaceOption>;

export const HostCommandName = z.enum(HOST_COMMANDS);
export type HostCommandName = z.infer<typeof HostCommandName>;

// ---- webview → host ------------------------------------------------------

const command = <T extends string, P extends z.ZodType>(type: T, params: P) =>
  z.object({ type: z.literal(type), id: RequestId, params });

const ActionParams = z.object({
  run_id: Id,
  reason: z.string().trim().min(1).max(MAX_ACTION_REASON),
});

export const ReadyCommand = command('ready', z.object({ state: PanelState.nullable() }));
export const StateChangedCommand = command('state/changed', z.object({ state: PanelState }));
export const IncidentsListCommand = command(
  'incidents/list',
  z.object({ filters: IncidentFilters, cursor: Cursor.nullable(), limit: z.number().int().min(1).max(500) }),
);
export const IncidentOpenCommand = command('incident/open', z.object({ incident_id: Id }));
export const TimelineListCommand = command(
  'timeline/list',
  z.object({
    kinds: z.array(TimelineKind),
    workspace_id: Id.nullable(),
    cursor: Cursor.nullable(),
    limit: z.number().int().min(1).max(500),
  }),
);
export const RunStopCommand = command('run/stop', ActionParams);
export const RunRestartCommand = command('run/restart', ActionParams);
export const CommandRunCommand = command('command/run', z.object({ command: HostCommandName }));
export const ClipboardWriteCommand = command(
  'clipboard/write',
  z.object({ text: z.string().min(1).max(MAX_CLIPBOARD_TEXT) }),
);

export const WebviewToHost = z.discriminatedUnion('type', [
  ReadyCommand,
  StateChangedCommand,
  IncidentsListCommand,
  IncidentOpenCommand,
  TimelineListCommand,
  RunStopCommand,
  RunRestartCommand,
  CommandRunCommand,
  ClipboardWriteCommand,
]);
export type WebviewToHost = z.infer<typeof WebviewToHost>;
export type WebviewCommandType = WebviewToHost['type'];
export type WebviewCommand<T extends WebviewCommandType> = Extract<WebviewToHost, { type: T }>;

// ---- host → webview ------------------------------------------------------

const notification = <T extends string, P extends z.ZodType>(type: T, params: P) =>
  z.object({ type: z.literal(type), params });
/** A notification that answers a command carries its id; `null` when the host pushes it unasked. */
const reply = <T extends string, P extends z.ZodType>(type: T, params: P) =>
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
export const IncidentsPageNotification = reply(
  'incidents/page',
  z.object({ filters: IncidentFilters, cursor: Cursor.nullable(), page: IncidentPage }),
);
export const IncidentDetailNotification = reply('incident/detail', z.object({ detail: IncidentDetail }));
export const IncidentUpsertNotification = notification('incident/upsert', z.object({ incident: Incident }));
export const SampleAppendNotification = notification('sample/append', z.object({ sample: Sample }));
export const TimelinePageNotification = reply(
  'timeline/page',
  z.object({
    kinds: z.array(TimelineKind),
    workspace_id: Id.nullable(),
    cursor: Cursor.nullable(),
    page: TimelinePage,
  }),
);
/** New journal rows, newest first. */
export const TimelineAppendNotification = notification('timeline/append', z.object({ events: z.array(TimelineEvent) }));
export const ActionResultNotification = reply(
  'action/result',
  z.object({
    action: z.enum(['run/stop', 'run/restart', 'command/run', 'clipboard/write']),
    ok: z.boolean(),
    /** A sentence for the person: what happened, or what went wrong and what to do. */
    message: z.string(),
  }),
);
export const ErrorNotification = reply('error', z.object({ message: z.string() }));

export const HostToWebview = z.discriminatedUnion('type', [
  StateFullNotification,
  IncidentsPageNotification,
  IncidentDetailNotification,
  IncidentUpsertNotification,
  SampleAppendNotification,
  TimelinePageNotification,
  TimelineAppendNotification,
  ActionResultNotification,
  ErrorNotification,
]);
export type HostToWebview = z.infer<typeof HostToWebview>;
export type HostMessageType = HostToWebview['type'];
export type HostMessage<T extends HostMessageType> = Extract<HostToWebview, { type: T }>;

// ---- backend events the host relays ---------------------------------------

/**
 * A live event from the backend, as GET /v1/stream sends it: `sample` carries
 * a Sample; every other event is a journal row (TimelineEvent) named after its
 * kind, whose `data` holds the record (the Incident of an `incident` row, the
 * AuditEvent of an `audit` row...). Validated before anything is relayed.
 */
export const PanelEvent = z.union([
  z.object({ kind: z.literal('sample'), data: Sample }),
  z
    .object({ kind: TimelineKind, data: TimelineEvent })
    .refine((e) => e.kind === e.data.kind, { message: 'the event name must be the journal row kind' }),
]);
export type PanelEvent = z.infer<typeof PanelEvent>;
