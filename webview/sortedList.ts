// A paged, de-duplicated list kept in display order (newest first), fed by
// pages from the host and by live upserts.
export interface PageLike<T> {
  items: T[];
  next_cursor: string | null;
  has_more: boolean;
}

export class SortedList<T> {
  items: T[] = [];
  nextCursor: string | null = null;
  hasMore = false;
  /** A page was received since the last reset. */
  loaded = false;
  /** A request for the next page is in flight. */
  loadingMore = false;
  private readonly byKey = new Map<string, T>();

  constructor(
    private readonly key: (item: T) => string,
    /** Negative when `a` comes first. */
    private readonly compare: (a: T, b: T) => number,
  ) {}

  get size(): number {
    return this.items.length;
  }

  reset(page: PageLike<T>): void {
    this.items = [];
    this.byKey.clear();
    this.loaded = true;
    this.append(page);
  }

  /** A further page: its rows go after what is loaded (re-sorted if the host's order differs). */
  append(page: PageLike<T>): void {
    let sorted = true;
    for (const item of page.items) {
      const k = this.key(item);
      const old = this.byKey.get(k);
      if (old) {
        this.items[this.indexOf(old)] = item;
      } else {
        const last = this.items[this.items.length - 1];
        if (last && this.compare(last, item) > 0) sorted = false;
        this.items.push(item);
      }
      this.byKey.set(k, item);
    }
    if (!sorted) this.items.sort(this.compare);
    this.nextCursor = page.next_cursor;
    this.hasMore = page.has_more;
    this.loadingMore = false;
  }

  /**
   * A live change. Returns whether the visible list changed. A new row older
   * than everything loaded while more pages exist is left for those pages.
   */
  upsert(item: T): boolean {
    const k = this.key(item);
    const old = this.byKey.get(k);
    if (old) this.items.splice(this.indexOf(old), 1);
    else {
      const last = this.items[this.items.length - 1];
      if (this.hasMore && last && this.compare(item, last) > 0) return false;
    }
    this.items.splice(this.insertionPoint(item), 0, item);
    this.byKey.set(k, item);
    return true;
  }

  remove(key: string): boolean {
    const old = this.byKey.get(key);
    if (!old) return false;
    this.items.splice(this.indexOf(old), 1);
    this.byKey.delete(key);
    return true;
  }

  get(key: string): T | undefined {
    return this.byKey.get(key);
  }

  private indexOf(item: T): number {
    const i = this.insertionPoint(item);
    // Equal-ranked neighbours: look around the insertion point for the very object.
    for (let j = Math.max(0, i - 1); j < this.items.length; j++) if (this.items[j] === item) return j;
    return this.items.indexOf(item);
  }

  /** Binary search for the first position whose row sorts after `item`. */
  private insertionPoint(item: T): number {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.compare(this.items[mid] as T, item) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
