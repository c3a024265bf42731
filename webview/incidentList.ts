// The incident list: newest first, filtered by status and kind (the folder
// filter lives in the panel header), paged from the host, virtualised.
import type { Incident } from '../server/shared/protocol/domain';
import type { IncidentFilters } from '../server/shared/protocol/panel';
import { h, icon, replace, uid } from './dom';
import { emptyState, type EmptyStateCallbacks } from './emptyState';
import { fullTime, humanize, num, when } from './format';
import { statusBadge } from './incidentDetail';
import { SortedList } from './sortedList';
import { VirtualList } from './virtualList';

export interface IncidentListCallbacks {
  /** Status or kind changed, or every filter was cleared. */
  filter(change: Partial<IncidentFilters>): void;
  loadMore(): void;
  open(incident: Incident): void;
  empty: EmptyStateCallbacks;
}

type Select = HTMLElement & { value: string };

const NO_FILTERS: IncidentFilters = { workspace_id: null, status: null, kind: null };

export function newestFirst(a: Incident, b: Incident): number {
  return b.opened_at - a.opened_at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

export function matchesFilters(i: Incident, f: IncidentFilters): boolean {
  return (
    (f.workspace_id === null || i.workspace_id === f.workspace_id) &&
    (f.status === null || i.status === f.status) &&
    (f.kind === null || i.kind === f.kind)
  );
}

function actionText(i: Incident): string {
  const what = i.enforced || i.intended === 'continue' ? i.action : `held back (${i.intended})`;
  return `${what} by ${i.actor}`;
}

export class IncidentListView {
  readonly element: HTMLElement;
  readonly list = new SortedList<Incident>((i) => i.id, newestFirst);
  private readonly grid: VirtualList<Incident>;
  private readonly status: Select;
  private readonly kind: Select;
  private readonly clear: HTMLElement;
  private readonly footer: HTMLElement;
  private readonly emptyEl: HTMLElement;
  private readonly kinds = new Set<string>();
  private filters: IncidentFilters = NO_FILTERS;
  /** The host could not load the list (the banner says why). */
  unavailable = false;

  constructor(private readonly cb: IncidentListCallbacks) {
    this.grid = new VirtualList<Incident>({
      label: 'Incidents, newest first',
      className: 'incident-list',
      key: (i) => i.id,
      rowLabel: (i) =>
        `${i.status} incident: ${i.title}. Job ${i.name}, opened ${fullTime(i.opened_at)}, ${humanize(i.kind)}, ${actionText(i)}`,
      onOpen: (i) => cb.open(i),
      onNearEnd: () => {
        if (this.list.hasMore && !this.list.loadingMore) cb.loadMore();
      },
      columns: [
        { header: 'Status', width: '6.5rem', cell: (i) => statusBadge(i) },
        { header: 'Opened', width: 'minmax(6rem, 9rem)', cell: (i) => when(i.opened_at) },
        { header: 'Job', width: 'minmax(7rem, 1.5fr)', cell: (i) => i.name },
        { header: 'What happened', width: 'minmax(12rem, 3fr)', cell: (i) => i.title, className: 'grow' },
        { header: 'Kind', width: 'minmax(6rem, 1fr)', cell: (i) => humanize(i.kind) },
        { header: 'Action', width: 'minmax(8rem, 1.3fr)', cell: (i) => actionText(i) },
        { header: 'Peak CPU', width: '5.5rem', cell: (i) => `${num(i.peak_cpu_percent)} %`, className: 'numeric' },
      ],
    });
    const statusId = uid('status');
    const kindId = uid('kind');
    this.status = h(
      'vscode-single-select',
      { id: statusId, 'data-filter': 'status' },
      h('vscode-option', { value: '' }, 'Any status'),
      h('vscode-option', { value: 'open' }, 'Open'),
      h('vscode-option', { value: 'closed' }, 'Closed'),
    ) as Select;
    this.kind = h('vscode-single-select', { id: kindId, 'data-filter': 'kind' }) as Select;
    this.clear = h('vscode-button', { secondary: true, icon: 'clear-all', hidden: true }, 'Clear filters');
    this.status.addEventListener('change', () => this.changed());
    this.kind.addEventListener('change', () => this.changed());
    this.clear.addEventListener('click', () => cb.filter(NO_FILTERS));
    const toolbar = h(
      'div',
      { class: 'toolbar' },
      h('vscode-label', { for: statusId }, 'Status'),
      this.status,
      h('vscode-label', { for: kindId }, 'Kind'),
      this.kind,
      this.clear,
    );
    this.footer = h('div', { class: 'list-footer' });
    this.emptyEl = h('div', { class: 'list-empty', hidden: true });
    this.element = h('section', { class: 'incidents', 'aria-label': 'Incidents' }, toolbar, this.grid.element, this.emptyEl, this.footer);
    this.renderKinds();
  }

  setFilters(f: IncidentFilters): void {
    const kindsBefore = this.kinds.size;
    if (f.kind) this.kinds.add(f.kind);
    const changed = f.status !== this.filters.status || f.kind !== this.filters.kind || this.kinds.size !== kindsBefore;
    this.filters = f;
    this.clear.hidden = !f.status && !f.kind && !f.workspace_id;
    if (!changed) return; // rebuilding the selects under the person's hands would close them
    this.status.value = f.status ?? '';
    this.renderKinds();
  }

  /** Remember every kind seen, so the kind filter offers them even while filtering. */
  noteKinds(items: Incident[]): void {
    const before = this.kinds.size;
    for (const i of items) this.kinds.add(i.kind);
    if (this.kinds.size !== before) this.renderKinds();
  }

  render(): void {
    const l = this.list;
    this.grid.setItems(l.items);
    const empty = (l.loaded || this.unavailable) && l.size === 0;
    this.grid.element.hidden = empty;
    this.emptyEl.hidden = !empty;
    if (empty) replace(this.emptyEl, this.emptyContent());
    const more = h('vscode-button', { secondary: true, disabled: l.loadingMore, 'data-action': 'load-more' }, l.loadingMore ? 'Loading…' : 'Load more');
    more.addEventListener('click', () => this.cb.loadMore());
    const count = l.loaded
      ? `${l.size.toLocaleString()} incident${l.size === 1 ? '' : 's'}${l.hasMore ? ' loaded, more available' : ''}`
      : 'Loading…';
    replace(this.footer, empty ? null : h('span', { class: 'muted', role: 'status' }, count), l.hasMore ? more : null);
  }

  focusList(key?: string): void {
    if (key) this.grid.reveal(key);
    this.grid.focus();
  }

  private emptyContent(): HTMLElement {
    if (this.unavailable) return h('p', { class: 'no-match' }, icon('debug-disconnect'), ' Incidents are not available right now.');
    const f = this.filters;
    if (!f.status && !f.kind && !f.workspace_id) return emptyState(this.cb.empty);
    const clear = h('vscode-button', { secondary: true, icon: 'clear-all' }, 'Clear filters');
    clear.addEventListener('click', () => this.cb.filter(NO_FILTERS));
    return h('div', { class: 'no-match' }, h('p', null, icon('filter'), ' No incidents match these filters.'), clear);
  }

  private renderKinds(): void {
    const current = this.filters.kind ?? '';
    replace(
      this.kind,
      h('vscode-option', { value: '' }, 'Any kind'),
      ...[...this.kinds].sort().map((k) => h('vscode-option', { value: k }, humanize(k))),
    );
    this.kind.value = current;
  }

  private changed(): void {
    const status = this.status.value === 'open' || this.status.value === 'closed' ? this.status.value : null;
    this.cb.filter({ status, kind: this.kind.value || null });
  }
}
