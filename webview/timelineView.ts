// Everything FlowForge did, newest first: runs, decisions, incidents,
// lifecycle changes and audited actions (with actor and reason).
import type { TimelineEvent, TimelineKind } from '../server/shared/protocol/domain';
import { TIMELINE_KINDS } from '../server/shared/protocol/panelDefaults';
import { h, replace, uid } from './dom';
import { fullTime, when } from './format';
import { SortedList } from './sortedList';
import { VirtualList } from './virtualList';

export interface TimelineCallbacks {
  /** The kinds shown changed ([] = all). */
  filter(kinds: TimelineKind[]): void;
  loadMore(): void;
  openIncident(id: string): void;
}

const kindLabels: Record<TimelineKind, string> = {
  run: 'Runs',
  decision: 'Decisions',
  incident: 'Incidents',
  lifecycle: 'Lifecycle',
  audit: 'Audit',
};

function text(data: Record<string, unknown>, key: string): string | null {
  const v = data[key];
  return typeof v === 'string' && v ? v : null;
}

/** The "who and why" of a journal row: actor, action and reason for audit rows; the phase change for lifecycle. */
export function journalDetail(e: TimelineEvent): HTMLElement | null {
  if (e.kind === 'audit') {
    const actor = text(e.data, 'actor') ?? 'unknown actor';
    const action = text(e.data, 'action');
    const reason = text(e.data, 'reason');
    return h(
      'span',
      { class: 'audit-detail' },
      h('span', { class: 'actor' }, actor),
      action ? ` · ${action}` : '',
      reason ? ` · “${reason}”` : '',
    );
  }
  if (e.kind === 'lifecycle') {
    const phase = text(e.data, 'phase');
    const previous = text(e.data, 'previous');
    return phase ? h('span', null, previous ? `${previous} → ${phase}` : phase) : null;
  }
  const action = text(e.data, 'action');
  return action ? h('span', null, action) : null;
}

export class TimelineView {
  readonly element: HTMLElement;
  readonly list = new SortedList<TimelineEvent>(
    (e) => String(e.seq),
    (a, b) => b.seq - a.seq,
  );
  private readonly grid: VirtualList<TimelineEvent>;
  private readonly footer: HTMLElement;
  private readonly checks = new Map<TimelineKind, HTMLElement & { checked: boolean }>();

  constructor(private readonly cb: TimelineCallbacks) {
    this.grid = new VirtualList<TimelineEvent>({
      label: 'Timeline',
      className: 'timeline-list',
      key: (e) => String(e.seq),
      rowLabel: (e) => `${e.kind} at ${fullTime(e.t)}: ${e.summary}${detailText(e)}`,
      onOpen: (e) => {
        if (e.incident_id) cb.openIncident(e.incident_id);
      },
      onNearEnd: () => this.nearEnd(),
      columns: [
        { header: 'Time', width: 'minmax(6rem, 9rem)', cell: (e) => when(e.t) },
        { header: 'Kind', width: 'minmax(5rem, 7rem)', cell: (e) => h('span', { class: 'kind-tag' }, e.kind) },
        { header: 'What happened', width: 'minmax(12rem, 3fr)', cell: (e) => e.summary, className: 'grow' },
        { header: 'Who · action · why', width: 'minmax(10rem, 2fr)', cell: (e) => journalDetail(e) },
      ],
    });
    const groupLabel = uid('kinds');
    const kinds = h(
      'div',
      { class: 'kind-filters', role: 'group', 'aria-labelledby': groupLabel },
      h('span', { id: groupLabel, class: 'toolbar-label' }, 'Show'),
      ...TIMELINE_KINDS.map((k) => {
        const box = h('vscode-checkbox', { label: kindLabels[k], 'data-kind': k, checked: true }) as HTMLElement & { checked: boolean };
        box.addEventListener('change', () => {
          // An empty selection would mean "everything": keep at least one kind on instead.
          if (!TIMELINE_KINDS.some((other) => this.checks.get(other)?.checked)) box.checked = true;
          else cb.filter(this.selectedKinds());
        });
        this.checks.set(k, box);
        return box;
      }),
    );
    this.footer = h('div', { class: 'list-footer' });
    this.element = h('section', { class: 'timeline', 'aria-label': 'Timeline' }, h('div', { class: 'toolbar' }, kinds), this.grid.element, this.footer);
  }

  /** Reflect the saved filter in the checkboxes ([] = every kind). */
  setKinds(kinds: TimelineKind[]): void {
    for (const [k, box] of this.checks) box.checked = kinds.length === 0 || kinds.includes(k);
  }

  render(): void {
    this.grid.setItems(this.list.items);
    const l = this.list;
    if (l.loaded && !l.size) {
      replace(this.footer, h('p', { class: 'muted' }, 'Nothing recorded yet for this selection. Runs, decisions and actions appear here as they happen.'));
      return;
    }
    const more = h('vscode-button', { secondary: true, disabled: l.loadingMore }, l.loadingMore ? 'Loading…' : 'Load older events');
    more.addEventListener('click', () => this.cb.loadMore());
    replace(this.footer, h('span', { class: 'muted' }, `${l.size} event${l.size === 1 ? '' : 's'} shown`), l.hasMore ? more : null);
  }

  private selectedKinds(): TimelineKind[] {
    const on = TIMELINE_KINDS.filter((k) => this.checks.get(k)?.checked);
    return on.length === TIMELINE_KINDS.length ? [] : on;
  }

  private nearEnd(): void {
    if (this.list.hasMore && !this.list.loadingMore) this.cb.loadMore();
  }
}

function detailText(e: TimelineEvent): string {
  const d = journalDetail(e)?.textContent;
  return d ? ` (${d})` : '';
}
