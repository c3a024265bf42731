// The host half of the incident panel, free of 'vscode' so it can be driven by
// tests: validates what the webview sends, asks the backend, answers, and
// relays live backend events. One session per open panel.
import type { Logger } from '../../server/util/logger';
import type { Sample, TimelineEvent } from '../../server/shared/protocol/domain';
import {
  RESPONSE_OF,
  WebviewToHost,
  type PanelRequestType,
  type ResponseOf,
  type HostCommandName,
  type HostToWebview,
  type IncidentDetail,
  type PanelState,
  type WebviewCommand,
} from '../../server/shared/protocol/panel';
import { DEFAULT_PANEL_STATE, INCIDENT_PAGE_SIZE, TIMELINE_PAGE_SIZE, type ActionRequest } from '../../server/shared/protocol/panelDefaults';
import { recordOf } from '../backend/journal';
import { touches, withRow, withSample } from './heldDetail';
import type { BackendEvent, Disposable, EvidenceBundle, PanelBackend } from './panelBackend';

/** What the session needs from the panel it lives in. */
export interface PanelHost {
  /** Deliver a message to the webview; false (or a rejection) when it was dropped. */
  post(msg: HostToWebview): PromiseLike<boolean> | boolean;
  runCommand(command: HostCommandName): PromiseLike<unknown>;
  writeClipboard(text: string): PromiseLike<void>;
  /**
   * Asks the person where to put an evidence bundle (a save dialog offering
   * `suggestedName`), writes the files into that new or empty folder and
   * returns its path; null when they cancelled.
   */
  saveEvidence(suggestedName: string, files: EvidenceBundle['files']): PromiseLike<string | null>;
}

export interface PanelSessionOptions {
  backend: PanelBackend;
  host: PanelHost;
  logger: Logger;
  /** State restored by the serializer after a reload. */
  state?: PanelState;
  /** How long live events are gathered before the changed detail or new timeline rows go out (ms). */
  refreshDelayMs?: number;
}

const commandIds: Record<HostCommandName, string> = {
  runDemo: 'FlowForge: Run Demo',
  superviseTask: 'FlowForge: Supervise Task',
};

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class PanelSession implements Disposable {
  private state: PanelState;
  /** The webview said `ready` and has not been hidden since: messages reach it. */
  private live = false;
  /** A navigation asked for while the webview was not live wins over the webview's own state. */
  private navigated = false;
  /** The open incident's drill-down, kept current by live events: read once when opened, again only after a reconnect. */
  private detail: IncidentDetail | null = null;
  /** Live journal rows waiting to be sent to an open timeline. */
  private readonly pendingRows: TimelineEvent[] = [];
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly subscriptions: Disposable[];
  private disposed = false;
  private readonly refreshDelayMs: number;

  constructor(private readonly opts: PanelSessionOptions) {
    this.state = opts.state ?? DEFAULT_PANEL_STATE;
    this.refreshDelayMs = opts.refreshDelayMs ?? 250;
    this.subscriptions = [opts.backend.onEvent((e) => this.onBackendEvent(e)), opts.backend.onReconnect(() => this.onReconnect())];
  }

  get currentState(): PanelState {
    return this.state;
  }

  /** The panel went to the background: its webview is destroyed until it says `ready` again. */
  hidden(): void {
    this.live = false;
  }

  /** The panel is visible again while its webview survived (e.g. moved): send everything anew. */
  async visible(): Promise<void> {
    if (this.live) await this.sendFull();
  }

  /** Bring the panel to a view, e.g. one incident from the status bar or a notification. */
  async show(incidentId?: string): Promise<void> {
    if (incidentId) this.state = { ...this.state, view: 'incident', incident_id: incidentId };
    if (this.live) await this.sendFull();
    else if (incidentId) this.navigated = true;
  }

  /** Handle one message from the webview. Invalid ones are logged and dropped. */
  async handle(raw: unknown): Promise<void> {
    if (this.disposed) return;
    const parsed = WebviewToHost.safeParse(raw);
    if (!parsed.success) {
      this.dropInvalid(raw, parsed.error.issues);
      return;
    }
    const msg = parsed.data;
    try {
      await this.dispatch(msg);
    } catch (err) {
      this.opts.logger.warn('panel: request failed', { type: msg.type, error: errorText(err) });
      if (msg.type in RESPONSE_OF) this.post({ type: 'error', request_id: msg.id, params: { message: errorText(err) } });
    }
  }

  dispose(): void {
    this.disposed = true;
    this.live = false;
    for (const sub of this.subscriptions) sub.dispose();
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  private async dispatch(msg: WebviewToHost): Promise<void> {
    switch (msg.type) {
      case 'ready':
        return this.onReady(msg);
      case 'state/changed':
        return this.adoptState(msg.params.state);
      case 'incidents/list':
        return this.listIncidents(msg);
      case 'incident/open':
        return this.openIncident(msg);
      case 'timeline/list':
        return this.listTimeline(msg);
      case 'run/stop':
      case 'run/restart':
        return this.actOnRun(msg);
      case 'incident/allow':
        return this.allowIncident(msg);
      case 'command/run':
        return this.runCommand(msg);
      case 'clipboard/write':
        return this.writeClipboard(msg);
      case 'incident/export':
        return this.exportEvidence(msg);
    }
  }

  private async onReady(msg: WebviewCommand<'ready'>): Promise<void> {
    if (!this.navigated && msg.params.state) this.state = msg.params.state;
    this.navigated = false;
    this.live = true;
    await this.sendFull();
  }

  private adoptState(next: PanelState): void {
    if (next.incident_id !== this.state.incident_id) this.detail = null;
    this.state = next;
  }

  private async listIncidents(msg: WebviewCommand<'incidents/list'>): Promise<void> {
    const { filters, cursor, limit } = msg.params;
    this.state = { ...this.state, filters };
    const page = await this.opts.backend.listIncidents({ limit, cursor, ...filters });
    this.answer(msg, { filters, cursor, page });
  }

  private async openIncident(msg: WebviewCommand<'incident/open'>): Promise<void> {
    const id = msg.params.incident_id;
    this.adoptState({ ...this.state, view: 'incident', incident_id: id });
    const detail = await this.opts.backend.incidentDetail(id);
    if (this.state.incident_id !== id) return;
    this.detail = detail;
    this.answer(msg, { detail });
  }

  private async listTimeline(msg: WebviewCommand<'timeline/list'>): Promise<void> {
    const { kinds, workspace_id, cursor, limit } = msg.params;
    if (cursor === null) {
      this.state = { ...this.state, timeline_kinds: kinds, filters: { ...this.state.filters, workspace_id } };
    }
    const page = await this.opts.backend.timeline({ limit, cursor, kinds, workspace_id });
    this.answer(msg, { kinds, workspace_id, cursor, page });
  }

  private async actOnRun(msg: WebviewCommand<'run/stop' | 'run/restart'>): Promise<void> {
    const { run_id, reason } = msg.params;
    const verb = msg.type === 'run/stop' ? 'Stop' : 'Restart';
    try {
      if (msg.type === 'run/stop') await this.opts.backend.stopRun(run_id, reason);
      else await this.opts.backend.restartRun(run_id, reason);
    } catch (err) {
      this.actionResult(msg, false, `${verb} failed: ${errorText(err)}`);
      return;
    }
    this.opts.logger.info(`panel: ${verb.toLowerCase()} requested`, { run_id, reason });
    // The stop's journal rows (audit, lifecycle, run) arrive on the stream and update the drill-down.
    this.actionResult(msg, true, `${verb} requested. The timeline records it with your reason.`);
  }

  private async allowIncident(msg: WebviewCommand<'incident/allow'>): Promise<void> {
    const { incident_id, reason } = msg.params;
    try {
      await this.opts.backend.allowIncident(incident_id, reason);
    } catch (err) {
      this.actionResult(msg, false, `Not a runaway failed: ${errorText(err)}`);
      return;
    }
    this.opts.logger.info('panel: incident marked not a runaway', { incident_id, reason });
    this.actionResult(msg, true, 'Marked not a runaway: this loop no longer alerts or stops jobs in this workspace. The timeline records it with your reason.');
  }

  private async runCommand(msg: WebviewCommand<'command/run'>): Promise<void> {
    const { command } = msg.params;
    try {
      await this.opts.host.runCommand(command);
      this.actionResult(msg, true, `Started ${commandIds[command]}.`);
    } catch (err) {
      this.actionResult(msg, false, `${commandIds[command]} failed: ${errorText(err)}`);
    }
  }

  private async writeClipboard(msg: WebviewCommand<'clipboard/write'>): Promise<void> {
    await this.opts.host.writeClipboard(msg.params.text);
    this.actionResult(msg, true, 'Copied to the clipboard.');
  }

  private async exportEvidence(msg: WebviewCommand<'incident/export'>): Promise<void> {
    const id = msg.params.incident_id;
    let where: string | null;
    let bundle: EvidenceBundle;
    try {
      bundle = await this.opts.backend.exportEvidence(id);
      where = await this.opts.host.saveEvidence(`flowforge-evidence-${id}`, bundle.files);
    } catch (err) {
      this.actionResult(msg, false, `Export failed: ${errorText(err)}`);
      return;
    }
    if (where === null) return this.actionResult(msg, false, 'Export cancelled: no folder was chosen.');
    this.opts.logger.info('panel: evidence exported', { incident_id: id, files: bundle.files.length });
    this.actionResult(
      msg,
      true,
      `Evidence exported to ${where} (${bundle.files.length} files, signed with ${bundle.algorithm} key ${bundle.key_id}). Check it with: flowforge evidence verify "${where}"`,
    );
  }

  private actionResult(msg: WebviewCommand<ActionRequest>, ok: boolean, message: string): void {
    this.answer(msg, { action: msg.type, ok, message });
  }

  /** Answers a request with the response it names, carrying its id. */
  private answer<T extends PanelRequestType>(msg: { type: T; id: string }, params: ResponseOf<T>['params']): void {
    this.post({ type: RESPONSE_OF[msg.type], request_id: msg.id, params } as HostToWebview);
  }

  /** Everything the current view needs, in one message: sent on `ready`, on visibility and on navigation. */
  private async sendFull(): Promise<void> {
    const asked = this.state;
    const { backend } = this.opts;
    const [workspaces, incidents, detail, timeline] = await Promise.allSettled([
      backend.workspaces(),
      backend.listIncidents({ limit: INCIDENT_PAGE_SIZE, ...asked.filters }),
      asked.incident_id ? this.heldOrRead(asked.incident_id) : Promise.resolve(null),
      asked.view === 'timeline' ? backend.timeline(this.timelineQuery(asked, null)) : Promise.resolve(null),
    ]);
    const problems: string[] = [];
    const value = <T>(r: PromiseSettledResult<T>, fallback: T, what: string): T => {
      if (r.status === 'fulfilled') return r.value;
      problems.push(`${what}: ${errorText(r.reason)}`);
      return fallback;
    };
    const shownDetail = value(detail, null, `Incident ${asked.incident_id ?? ''} could not be loaded`);
    let state = asked;
    if (shownDetail) {
      if (this.state.incident_id === shownDetail.incident.id) this.detail = shownDetail;
    } else if (asked.incident_id) {
      state = { ...asked, view: asked.view === 'incident' ? 'incidents' : asked.view, incident_id: null };
    }
    if (this.state === asked) this.state = state;
    const shownTimeline = value(timeline, null, 'The timeline could not be loaded');
    this.post({
      type: 'state/full',
      params: {
        state,
        workspaces: value(workspaces, [], 'The folder list could not be loaded'),
        incidents: value(incidents, null, 'Incidents could not be loaded'),
        detail: shownDetail,
        timeline: shownTimeline,
        error: problems.length ? problems.join('. ') : null,
      },
    });
  }

  /** The drill-down held for `id` (kept current by live events), else read from the backend. */
  private heldOrRead(id: string): Promise<IncidentDetail> {
    return this.detail?.incident.id === id ? Promise.resolve(this.detail) : this.opts.backend.incidentDetail(id);
  }

  /** Live events arrive checked (see BackendEvent); the held drill-down follows them even while the webview is hidden. */
  private onBackendEvent(e: BackendEvent): void {
    if (this.disposed) return;
    if (e.kind === 'sample') this.onSample(e.data);
    else if (e.kind === e.data.kind) this.onRow(e.data); // a row travels under its own kind's name, or not at all
  }

  private onSample(sample: Sample): void {
    const next = this.detail && withSample(this.detail, sample);
    if (!next) return;
    this.detail = next;
    this.post({ type: 'sample/append', params: { sample } });
  }

  private onRow(row: TimelineEvent): void {
    const incident = recordOf(row, 'incident');
    if (incident) this.post({ type: 'incident/upsert', params: { incident } });
    const next = this.detail && withRow(this.detail, row);
    if (next) {
      this.detail = next;
      this.schedule('detail', () => this.pushDetail());
    }
    if (this.live && this.state.view === 'timeline' && this.shownInTimeline(row)) {
      this.pendingRows.push(row);
      this.schedule('timeline', () => this.flushTimeline());
    }
  }

  /** After a reconnect the held drill-down may have missed samples, or the backend is a new one: read it again, once. */
  private onReconnect(): void {
    if (this.disposed || !this.state.incident_id) return;
    void this.refreshDetail();
  }

  private shownInTimeline(row: TimelineEvent): boolean {
    const { timeline_kinds: kinds, filters } = this.state;
    return (kinds.length === 0 || kinds.includes(row.kind)) && (filters.workspace_id === null || row.workspace_id === filters.workspace_id);
  }

  /** Journal rows gathered for a moment go out in one message, newest first. */
  private flushTimeline(): void {
    const events = this.pendingRows.splice(0).sort((a, b) => b.seq - a.seq);
    if (events.length && this.state.view === 'timeline') this.post({ type: 'timeline/append', params: { events } });
  }

  private pushDetail(): void {
    if (this.detail) this.post({ type: 'incident/detail', request_id: null, params: { detail: this.detail } });
  }

  private async refreshDetail(): Promise<void> {
    const id = this.state.incident_id;
    if (!id) return;
    try {
      const detail = await this.opts.backend.incidentDetail(id);
      if (this.state.incident_id !== id) return;
      this.detail = detail;
      this.pushDetail();
    } catch (err) {
      this.opts.logger.warn('panel: could not refresh the incident', { incident_id: id, error: errorText(err) });
    }
  }

  private timelineQuery(state: PanelState, cursor: string | null) {
    return { limit: TIMELINE_PAGE_SIZE, cursor, kinds: state.timeline_kinds, workspace_id: state.filters.workspace_id };
  }

  private schedule(key: string, fn: () => Promise<void> | void): void {
    if (this.timers.has(key) || this.disposed) return;
    const timer = setTimeout(() => {
      this.timers.delete(key);
      void fn();
    }, this.refreshDelayMs);
    this.timers.set(key, timer);
  }

  private dropInvalid(raw: unknown, issues: readonly { path: PropertyKey[]; message: string }[]): void {
    const type = typeof raw === 'object' && raw !== null ? (raw as { type?: unknown }).type : undefined;
    const first = issues[0];
    this.opts.logger.warn('panel: dropped an invalid message from the webview', {
      type: typeof type === 'string' ? type.slice(0, 40) : typeof type,
      issue: first ? `${first.path.map(String).join('.') || '(message)'}: ${first.message}` : 'unknown',
    });
  }

  private post(msg: HostToWebview): void {
    if (!this.live || this.disposed) return;
    Promise.resolve(this.opts.host.post(msg)).then(
      (delivered) => {
        if (!delivered) this.opts.logger.debug('panel: message not delivered (webview hidden?)', { type: msg.type });
      },
      (err: unknown) => this.opts.logger.warn('panel: posting failed', { type: msg.type, error: errorText(err) }),
    );
  }
}
