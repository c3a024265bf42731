// Constants of the incident panel protocol that both sides need at run time.
// Kept free of zod (type imports only) so the webview bundle can use them
// without pulling the schema library into the browser.
import type { PanelState } from './panel';

/** The webview panel's view type: the serializer and `onWebviewPanel:` use it. */
export const PANEL_VIEW_TYPE = 'flowforge.incidents';

/** Incidents per page the panel asks for (the API allows 1..500). */
export const INCIDENT_PAGE_SIZE = 200;

/** Timeline events per page the panel asks for. */
export const TIMELINE_PAGE_SIZE = 100;

/** Samples of the run the drill-down charts (one per second: half an hour). */
export const DETAIL_SAMPLES = 1800;

/** Journal rows an incident's chain holds at most (the newest), as the store answers it. */
export const DETAIL_CHAIN_ROWS = 500;

/** Longest reason a person may type when stopping or restarting a job from the panel. */
export const MAX_ACTION_REASON = 500;

/** Longest text the panel may ask the host to put on the clipboard. */
export const MAX_CLIPBOARD_TEXT = 4000;

/** Lifecycle phases in which a job can still be stopped or restarted. */
export const ACTIVE_PHASES: readonly string[] = ['STARTING', 'RUNNING'];

/** Every timeline kind, in the order the panel offers them as filters. */
export const TIMELINE_KINDS = ['run', 'decision', 'incident', 'lifecycle', 'audit'] as const;

/** Commands the panel may ask the host to run (the empty state's buttons). */
export const HOST_COMMANDS = ['runDemo', 'superviseTask'] as const;

/** The panel's state before anything was chosen: the incident list, no filters. */
export const DEFAULT_PANEL_STATE: PanelState = {
  v: 1,
  view: 'incidents',
  incident_id: null,
  filters: { workspace_id: null, status: null, kind: null },
  timeline_kinds: [],
};
