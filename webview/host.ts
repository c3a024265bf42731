// The only way out of the webview: messages to the extension host. The API is
// acquired once (VS Code allows exactly one call) and kept private here.
import type {
  HostToWebview,
  PanelState,
  WebviewCommand,
  WebviewCommandType,
} from '../server/shared/protocol/panel';

interface VsCodeApi {
  postMessage(msg: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const api = acquireVsCodeApi();
let counter = 0;

/** Send a command; returns its request id so the answer can be matched. */
export function send<T extends WebviewCommandType>(type: T, params: WebviewCommand<T>['params']): string {
  counter += 1;
  const id = `${type}#${counter}`;
  api.postMessage({ type, id, params });
  return id;
}

/** What the panel saved last time (reload, hide/show), if it looks like a panel state. */
export function savedState(): PanelState | null {
  const s = api.getState() as Partial<PanelState> | undefined;
  return s && s.v === 1 && typeof s.view === 'string' && s.filters ? (s as PanelState) : null;
}

export function saveState(state: PanelState): void {
  api.setState(state);
}

const hostTypes = new Set<string>([
  'state/full',
  'incidents/page',
  'incident/detail',
  'incident/upsert',
  'sample/append',
  'timeline/page',
  'timeline/append',
  'action/result',
  'error',
] satisfies HostToWebview['type'][]);

/** Messages from the host. The host validated what it sends; anything without a known type is ignored. */
export function onHostMessage(handler: (msg: HostToWebview) => void): void {
  window.addEventListener('message', (ev: MessageEvent) => {
    const data = ev.data as { type?: unknown } | null;
    if (data && typeof data.type === 'string' && hostTypes.has(data.type)) handler(data as HostToWebview);
  });
}
