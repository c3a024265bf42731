// Constants of the incident panel protocol that both sides need at run time.
// Kept free of zod, and of panel.ts (which builds its schemas from these),
// so the webview bundle can use them without the schema library.
import { TIMELINE_KINDS, type TimelineKindName } from './choices';

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
export { TIMELINE_KINDS };

/** Commands the panel may ask the host to run (the empty state's buttons). */
export const HOST_COMMANDS = ['runDemo', 'superviseTask'] as const;

/** The requests the host answers with `action/result` (what was asked, ok, a sentence). */
export const ACTION_REQUESTS = ['run/stop', 'run/restart', 'incident/allow', 'command/run', 'clipboard/write', 'incident/export'] as const;
export type ActionRequest = (typeof ACTION_REQUESTS)[number];
/** The two that act on a run (confirmed in the drill-down). */
export type RunAction = Extract<ActionRequest, 'run/stop' | 'run/restart'>;
/** What the drill-down confirms inline: a run's stop/restart, or "not a runaway" for the incident. */
export type ConfirmedAction = RunAction | 'incident/allow';
/**
 * The loop rules whose stops teach a learned signature (server/policy/rules.ts,
 * `learnable`): only their incidents offer "Not a runaway".
 */
export const LEARNING_RULES: readonly string[] = ['cpu_loop', 'output_loop', 'learned_loop'];

/** The panel's state before anything was chosen: the incident list, no filters (a PanelState; panel.ts checks it fits). */
export const DEFAULT_PANEL_STATE = {
  v: 1 as const,
  view: 'incidents' as 'incidents' | 'timeline' | 'incident',
  incident_id: null as string | null,
  filters: { workspace_id: null as string | null, status: null as 'open' | 'closed' | null, kind: null as string | null },
  timeline_kinds: [] as TimelineKindName[],
};
