// A keyboard-driven, virtualised list with columns: only the rows in view are
// in the DOM, so thousands of incidents render in a few milliseconds. The list
// itself takes focus (one Tab stop) and moves an active row with the arrow keys,
// the way VS Code's own lists do (aria-activedescendant).
import { h, replace, uid, type Child } from './dom';

export interface Column<T> {
  header: string;
  /** A CSS grid track, e.g. `7rem` or `minmax(10rem, 2fr)`. */
  width: string;
  cell(item: T): Child;
  className?: string;
}

export interface VirtualListOptions<T> {
  label: string;
  columns: Column<T>[];
  key(item: T): string;
  /** What a screen reader says for the row. */
  rowLabel(item: T): string;
  onOpen(item: T): void;
  /** Called when the rendered rows come close to the end of what is loaded. */
  onNearEnd?(): void;
  className?: string;
}

const OVERSCAN = 8;
const NEAR_END = 30;

export class VirtualList<T> {
  readonly element: HTMLElement;
  private readonly viewport: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly listId = uid('list');
  private items: T[] = [];
  private active = 0;
  private rowHeight = 0;
  private rendered = { first: -1, last: -1, items: null as T[] | null, active: -1 };
  private frame = 0;

  constructor(private readonly o: VirtualListOptions<T>) {
    const head = h(
      'div',
      { class: 'vlist-row vlist-head', 'aria-hidden': 'true' },
      ...o.columns.map((c) => h('div', { class: `vlist-cell ${c.className ?? ''}` }, c.header)),
    );
    this.spacer = h('div', { class: 'vlist-spacer' });
    this.viewport = h(
      'div',
      { class: 'vlist-viewport', role: 'listbox', tabindex: 0, 'aria-label': o.label, id: this.listId },
      this.spacer,
    );
    this.element = h('div', { class: `vlist ${o.className ?? ''}` }, head, this.viewport);
    this.element.style.setProperty('--vlist-columns', o.columns.map((c) => c.width).join(' '));
    this.viewport.addEventListener('scroll', () => this.schedule());
    this.viewport.addEventListener('keydown', (e) => this.onKey(e));
    this.viewport.addEventListener('click', (e) => this.onClick(e));
    new ResizeObserver(() => this.schedule()).observe(this.viewport);
  }

  setItems(items: T[]): void {
    const activeKey = this.items[this.active] === undefined ? null : this.o.key(this.items[this.active] as T);
    this.items = items;
    if (activeKey !== null) {
      const i = items.findIndex((it) => this.o.key(it) === activeKey);
      this.active = i >= 0 ? i : Math.min(this.active, Math.max(0, items.length - 1));
    } else this.active = 0;
    this.rendered.items = null;
    this.render();
  }

  get activeItem(): T | undefined {
    return this.items[this.active];
  }

  focus(): void {
    this.viewport.focus();
  }

  /** Make the row with this key active and scroll it into view. */
  reveal(key: string): void {
    const i = this.items.findIndex((it) => this.o.key(it) === key);
    if (i >= 0) this.moveTo(i);
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  /** Render the rows in view (plus some overscan); cheap enough to run on every scroll frame. */
  render(): void {
    const rowH = this.measureRow();
    this.spacer.style.height = `${this.items.length * rowH}px`;
    const viewH = this.viewport.clientHeight || rowH * 20;
    const first = Math.max(0, Math.floor(this.viewport.scrollTop / rowH) - OVERSCAN);
    const last = Math.min(this.items.length - 1, Math.ceil((this.viewport.scrollTop + viewH) / rowH) + OVERSCAN);
    const r = this.rendered;
    if (r.first === first && r.last === last && r.items === this.items && r.active === this.active) return;
    this.rendered = { first, last, items: this.items, active: this.active };
    const rows: Node[] = [];
    for (let i = first; i <= last; i++) rows.push(this.row(this.items[i] as T, i, rowH));
    replace(this.spacer, ...rows);
    this.syncActiveDescendant();
    if (this.o.onNearEnd && last >= this.items.length - NEAR_END) this.o.onNearEnd();
  }

  private row(item: T, index: number, rowH: number): HTMLElement {
    const selected = index === this.active;
    const row = h(
      'div',
      {
        class: selected ? 'vlist-row vlist-item active' : 'vlist-row vlist-item',
        role: 'option',
        id: `${this.listId}-${index}`,
        'aria-selected': String(selected),
        'aria-setsize': this.items.length,
        'aria-posinset': index + 1,
        'aria-label': this.o.rowLabel(item),
        'data-index': index,
        'data-key': this.o.key(item),
      },
      ...this.o.columns.map((c) => h('div', { class: `vlist-cell ${c.className ?? ''}` }, c.cell(item))),
    );
    row.style.transform = `translateY(${index * rowH}px)`;
    return row;
  }

  /** Row height comes from CSS (it follows the font size); measured once per list. */
  private measureRow(): number {
    if (this.rowHeight) return this.rowHeight;
    const probe = h('div', { class: 'vlist-row vlist-item' }, h('div', { class: 'vlist-cell' }, 'Xg'));
    this.spacer.appendChild(probe);
    const measured = probe.getBoundingClientRect().height;
    probe.remove();
    if (measured > 0) this.rowHeight = measured;
    return measured || 26;
  }

  private syncActiveDescendant(): void {
    if (this.items.length && this.active >= this.rendered.first && this.active <= this.rendered.last) {
      this.viewport.setAttribute('aria-activedescendant', `${this.listId}-${this.active}`);
    } else this.viewport.removeAttribute('aria-activedescendant');
  }

  private moveTo(index: number): void {
    if (!this.items.length) return;
    this.active = Math.max(0, Math.min(this.items.length - 1, index));
    const rowH = this.measureRow();
    const top = this.active * rowH;
    const viewH = this.viewport.clientHeight;
    if (top < this.viewport.scrollTop) this.viewport.scrollTop = top;
    else if (top + rowH > this.viewport.scrollTop + viewH) this.viewport.scrollTop = top + rowH - viewH;
    this.render();
  }

  private onKey(e: KeyboardEvent): void {
    const page = Math.max(1, Math.floor(this.viewport.clientHeight / this.measureRow()) - 1);
    const moves: Record<string, number> = {
      ArrowDown: this.active + 1,
      ArrowUp: this.active - 1,
      PageDown: this.active + page,
      PageUp: this.active - page,
      Home: 0,
      End: this.items.length - 1,
    };
    const target = moves[e.key];
    if (target !== undefined) {
      e.preventDefault();
      this.moveTo(target);
    } else if ((e.key === 'Enter' || e.key === ' ') && this.activeItem !== undefined) {
      e.preventDefault();
      this.o.onOpen(this.activeItem);
    }
  }

  private onClick(e: MouseEvent): void {
    const row = (e.target as Element).closest<HTMLElement>('.vlist-item');
    const index = Number(row?.dataset.index);
    if (!row || !Number.isInteger(index) || this.items[index] === undefined) return;
    this.active = index;
    this.render();
    this.o.onOpen(this.items[index] as T);
  }
}
