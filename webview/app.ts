// The panel's controller: owns the view state (persisted with setState so a
// reload restores it), turns user actions into commands for the host, and
// host messages into view updates.
import type { TimelineEvent, TimelineKind } from '../server/shared/protocol/domain';
import type { HostMessage, HostToWebview, IncidentFilters, PanelState, WorkspaceOption } from '../server/shared/protocol/panel';
import { DEFAULT_PANEL_STATE, INCIDENT_PAGE_SIZE, TIMELINE_PAGE_SIZE, type ConfirmedAction } from '../server/shared/protocol/panelDefaults';
import { h, icon, replace, uid } from './dom';
import { IncidentDetailView } from './incidentDetail';
import { IncidentListView, matchesFilters } from './incidentList';
import { onHostMessage, savedState, saveState, send } from './host';
import { onThemeChange } from './theme';
import { TimelineView } from './timelineView';

type Select = HTMLElement & { value: string };

const sameFilters = (a: IncidentFilters, b: IncidentFilters): boolean =>
  a.workspace_id === b.workspace_id && a.status === b.status && a.kind === b.kind;

const sameKinds = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((k) => b.includes(k));

export class App {
  private state: PanelState;
  private readonly incidents: IncidentListView;
  private readonly detail: IncidentDetailView;
  private readonly timeline: TimelineView;
  private readonly tabs: HTMLElement;
  private readonly folder: Select;
  private readonly banner: HTMLElement;
  private readonly announcer: HTMLElement;
  /** Requests whose answer is an `action/result`, by request id. */
  private readonly actions = new Map<string, ConfirmedAction | 'incident/export' | 'other'>();
  private readonly detailLoading: HTMLElement;
  private timelineLoaded = false;
  private frame = 0;

  constructor(private readonly root: HTMLElement) {
    this.state = savedState() ?? DEFAULT_PANEL_STATE;
    this.incidents = new IncidentListView({
      filter: (change) => this.setFilters({ ...this.state.filters, ...change }),
      loadMore: () => this.loadMoreIncidents(),
      open: (i) => this.openIncident(i.id),
      empty: {
        runCommand: (command) => this.actions.set(send('command/run', { command }), 'other'),
        copy: (text) => this.actions.set(send('clipboard/write', { text }), 'other'),
      },
    });
    this.detail = new IncidentDetailView({
      back: () => this.closeIncident(),
      act: (action, id, reason) =>
        this.actions.set(action === 'incident/allow' ? send(action, { incident_id: id, reason }) : send(action, { run_id: id, reason }), action),
      exportEvidence: (incidentId) => this.actions.set(send('incident/export', { incident_id: incidentId }), 'incident/export'),
    });
    this.timeline = new TimelineView({
      filter: (kinds) => this.setTimelineKinds(kinds),
      loadMore: () => this.loadMoreTimeline(),
      openIncident: (id) => this.openIncident(id),
    });
    this.detailLoading = h('p', { class: 'muted', role: 'status' }, 'Loading the incident…');
    const folderId = uid('folder');
    this.folder = h('vscode-single-select', { id: folderId, 'data-filter': 'folder' }) as Select;
    this.folder.addEventListener('change', () => this.setFilters({ ...this.state.filters, workspace_id: this.folder.value || null }));
    this.banner = h('div', { class: 'banner', role: 'alert', hidden: true });
    this.announcer = h('div', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite' });
    this.tabs = h(
      'vscode-tabs',
      { 'selected-index': 0 },
      h('vscode-tab-header', { slot: 'header', 'data-view': 'incidents' }, 'Incidents'),
      h('vscode-tab-header', { slot: 'header', 'data-view': 'timeline' }, 'Timeline'),
      h('vscode-tab-panel', null, this.incidents.element, this.detailLoading, this.detail.element),
      h('vscode-tab-panel', null, this.timeline.element),
    );
    this.tabs.addEventListener('vsc-tabs-select', (e) => {
      const index = (e as CustomEvent<{ selectedIndex: number }>).detail.selectedIndex;
      this.setView(index === 1 ? 'timeline' : this.state.incident_id ? 'incident' : 'incidents');
    });
    replace(
      root,
      h(
        'header',
        { class: 'topbar' },
        h('h1', null, icon('shield'), ' FlowForge'),
        h('div', { class: 'folder-filter' }, h('vscode-label', { for: folderId }, 'Folder'), this.folder),
      ),
      this.banner,
      this.tabs,
      this.announcer,
    );
    this.renderFolders([]);
    this.applyView();
    onHostMessage((m) => this.onMessage(m));
    onThemeChange(() => this.detail.retheme());
    send('ready', { state: savedState() });
  }

  // ---- state ---------------------------------------------------------------

  /** Adopt a new view state: remember it across reloads and tell the host (it rebuilds from it). */
  private commit(next: PanelState): void {
    this.state = next;
    saveState(next);
    send('state/changed', { state: next });
    this.applyView();
  }

  private applyView(): void {
    const { view, incident_id } = this.state;
    this.tabs.setAttribute('selected-index', view === 'timeline' ? '1' : '0');
    const showDetail = incident_id !== null;
    const detailReady = showDetail && this.detail.incidentId === incident_id;
    this.incidents.element.hidden = showDetail;
    this.detail.element.hidden = !detailReady;
    this.detailLoading.hidden = !showDetail || detailReady;
    this.incidents.setFilters(this.state.filters);
    this.timeline.setKinds(this.state.timeline_kinds);
    if (view === 'timeline' && !this.timelineLoaded) this.requestTimeline(null);
  }

  private setView(view: PanelState['view']): void {
    if (view !== this.state.view) this.commit({ ...this.state, view });
  }

  private openIncident(id: string): void {
    this.commit({ ...this.state, view: 'incident', incident_id: id });
    send('incident/open', { incident_id: id });
  }

  private closeIncident(): void {
    const id = this.state.incident_id;
    this.detail.clear();
    this.commit({ ...this.state, view: 'incidents', incident_id: null });
    this.incidents.render();
    this.incidents.focusList(id ?? undefined);
  }

  private setFilters(filters: IncidentFilters): void {
    const folderChanged = filters.workspace_id !== this.state.filters.workspace_id;
    this.commit({ ...this.state, filters });
    this.incidents.list.loadingMore = false;
    send('incidents/list', { filters, cursor: null, limit: INCIDENT_PAGE_SIZE });
    if (folderChanged) {
      this.timelineLoaded = false;
      if (this.state.view === 'timeline') this.requestTimeline(null);
    }
  }

  private setTimelineKinds(kinds: TimelineKind[]): void {
    this.commit({ ...this.state, timeline_kinds: kinds });
    this.requestTimeline(null);
  }

  private loadMoreIncidents(): void {
    const l = this.incidents.list;
    if (!l.hasMore || l.loadingMore || !l.nextCursor) return;
    l.loadingMore = true;
    send('incidents/list', { filters: this.state.filters, cursor: l.nextCursor, limit: INCIDENT_PAGE_SIZE });
    this.incidents.render();
  }

  private loadMoreTimeline(): void {
    const l = this.timeline.list;
    if (!l.hasMore || l.loadingMore || !l.nextCursor) return;
    l.loadingMore = true;
    this.requestTimeline(l.nextCursor);
    this.timeline.render();
  }

  private requestTimeline(cursor: string | null): void {
    if (cursor === null) this.timelineLoaded = true;
    send('timeline/list', {
      kinds: this.state.timeline_kinds,
      workspace_id: this.state.filters.workspace_id,
      cursor,
      limit: TIMELINE_PAGE_SIZE,
    });
  }

  // ---- host messages -------------------------------------------------------

  private onMessage(m: HostToWebview): void {
    switch (m.type) {
      case 'state/full':
        return this.onFull(m);
      case 'incidents/page':
        return this.onIncidentsPage(m);
      case 'incident/detail':
        return this.onDetail(m);
      case 'incident/upsert': {
        const { incident } = m.params;
        const l = this.incidents.list;
        if (matchesFilters(incident, this.state.filters)) l.upsert(incident);
        else l.remove(incident.id);
        this.incidents.noteKinds([incident]);
        return this.scheduleListRender();
      }
      case 'sample/append':
        return this.detail.appendSample(m.params.sample);
      case 'timeline/page':
        return this.onTimelinePage(m);
      case 'timeline/append':
        return this.onTimelineAppend(m.params.events);
      case 'action/result':
        return this.onActionResult(m);
      case 'error':
        return this.onError(m);
    }
  }

  private onFull(m: HostMessage<'state/full'>): void {
    const p = m.params;
    this.state = p.state;
    saveState(p.state);
    this.renderFolders(p.workspaces);
    if (p.incidents) {
      this.incidents.list.reset(p.incidents);
      this.incidents.noteKinds(p.incidents.items);
    }
    this.incidents.unavailable = p.incidents === null;
    if (p.detail) this.detail.show(p.detail);
    else this.detail.clear();
    this.timelineLoaded = p.timeline !== null;
    if (p.timeline) this.timeline.list.reset(p.timeline);
    this.showBanner(p.error);
    this.root.removeAttribute('aria-busy');
    this.applyView();
    this.incidents.render();
    this.timeline.render();
  }

  private onIncidentsPage(m: HostMessage<'incidents/page'>): void {
    const { filters, cursor, page } = m.params;
    const l = this.incidents.list;
    if (!sameFilters(filters, this.state.filters)) return; // answer to filters no longer shown
    if (cursor === null) l.reset(page);
    else if (cursor === l.nextCursor) l.append(page);
    else return;
    this.incidents.noteKinds(page.items);
    this.scheduleListRender();
  }

  private onDetail(m: HostMessage<'incident/detail'>): void {
    const { detail } = m.params;
    if (detail.incident.id !== this.state.incident_id) return;
    const first = this.detail.incidentId !== detail.incident.id;
    this.detail.show(detail);
    if (matchesFilters(detail.incident, this.state.filters)) this.incidents.list.upsert(detail.incident);
    this.applyView();
    if (first) this.detail.focusFirst();
  }

  private onTimelinePage(m: HostMessage<'timeline/page'>): void {
    const { kinds, workspace_id, cursor, page } = m.params;
    const l = this.timeline.list;
    if (!sameKinds(kinds, this.state.timeline_kinds) || workspace_id !== this.state.filters.workspace_id) return;
    if (cursor === null) l.reset(page);
    else if (cursor === l.nextCursor) l.append(page);
    else return;
    this.timeline.render();
  }

  private onTimelineAppend(events: TimelineEvent[]): void {
    const { timeline_kinds: kinds, filters } = this.state;
    let changed = false;
    for (const e of events) {
      if (kinds.length && !kinds.includes(e.kind)) continue;
      if (filters.workspace_id !== null && e.workspace_id !== filters.workspace_id) continue;
      changed = this.timeline.list.upsert(e) || changed;
    }
    if (changed) this.timeline.render();
  }

  private onActionResult(m: HostMessage<'action/result'>): void {
    const kind = m.request_id ? this.actions.get(m.request_id) : undefined;
    if (m.request_id) this.actions.delete(m.request_id);
    if (kind === 'incident/export') this.detail.exportDone(m.params.ok, m.params.message);
    else if (kind && kind !== 'other') this.detail.actionDone(m.params.ok, m.params.message);
    else if (m.params.ok) this.announce(m.params.message);
    else this.showBanner(m.params.message);
  }

  private onError(m: HostMessage<'error'>): void {
    const kind = m.request_id ? this.actions.get(m.request_id) : undefined;
    if (kind === 'incident/export') {
      this.actions.delete(m.request_id as string);
      this.detail.exportDone(false, m.params.message);
      return;
    }
    if (kind && kind !== 'other') {
      this.actions.delete(m.request_id as string);
      this.detail.actionDone(false, m.params.message);
      return;
    }
    this.incidents.list.loadingMore = false;
    this.timeline.list.loadingMore = false;
    this.showBanner(m.params.message);
    this.incidents.render();
    this.timeline.render();
  }

  // ---- small views ---------------------------------------------------------

  private renderFolders(workspaces: WorkspaceOption[]): void {
    const current = this.state.filters.workspace_id;
    const known = workspaces.some((w) => w.id === current);
    replace(
      this.folder,
      h('vscode-option', { value: '' }, 'All folders'),
      ...workspaces.map((w) => h('vscode-option', { value: w.id }, w.name)),
      current && !known ? h('vscode-option', { value: current }, current) : null,
    );
    this.folder.value = current ?? '';
  }

  private showBanner(message: string | null): void {
    this.banner.hidden = !message;
    if (!message) return replace(this.banner);
    // Asking for everything again is what `ready` does; it is safe to repeat.
    const retry = h('vscode-button', { secondary: true, 'data-action': 'retry' }, 'Retry');
    retry.addEventListener('click', () => send('ready', { state: this.state }));
    const dismiss = h('vscode-button', { secondary: true, 'data-action': 'dismiss' }, 'Dismiss');
    dismiss.addEventListener('click', () => this.showBanner(null));
    replace(this.banner, icon('warning'), h('span', null, ` ${message}`), retry, dismiss);
  }

  private announce(message: string): void {
    this.announcer.textContent = message;
  }

  /** Live upserts come in bursts: render the list once per frame. */
  private scheduleListRender(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.incidents.render();
    });
  }
}
