// Serialized answers of the paginated list endpoints, reused until anything
// they could contain changes. Pages are read far more often than the journal
// is written (a panel reopened, a dashboard polling, clients paging the same
// history), and building one costs a query, a JSON parse per row and a
// stringify. Every record change this process makes is announced by the
// engine, which invalidates the whole cache; the TTL bounds what retention
// (which deletes without announcing) could leave stale.
import type { Clock } from '../util/clock';

export interface PageCacheSettings {
  maxEntries: number;
  /** Bound on the characters held (pages differ in size by orders of magnitude, so counting entries is not enough). */
  maxChars: number;
  ttlMs: number;
}

export const DEFAULT_PAGE_CACHE: PageCacheSettings = { maxEntries: 512, maxChars: 8 * 1024 * 1024, ttlMs: 5000 };

export class PageCache {
  private readonly entries = new Map<string, { at: number; json: string }>();
  private chars = 0;

  constructor(
    private readonly clock: Clock,
    private readonly count: (result: 'hit' | 'miss') => void,
    private readonly settings: PageCacheSettings = DEFAULT_PAGE_CACHE,
  ) {}

  /** Something a page may show changed: every entry is out of date. */
  readonly invalidate = (): void => {
    if (this.entries.size > 0) this.entries.clear();
    this.chars = 0;
  };

  /** Characters held, for tests of the bound. */
  get size(): { entries: number; chars: number } {
    return { entries: this.entries.size, chars: this.chars };
  }

  /** The cached JSON for `key`, or the JSON of `build()` (then cached). */
  json(key: string, build: () => unknown): string {
    const now = this.clock.now();
    const hit = this.entries.get(key);
    if (hit && now - hit.at < this.settings.ttlMs) {
      this.count('hit');
      return hit.json;
    }
    this.count('miss');
    const json = JSON.stringify(build());
    this.drop(key);
    // A page bigger than a quarter of the budget is served, not kept.
    if (json.length > this.settings.maxChars / 4) return json;
    while (this.entries.size > 0 && (this.entries.size >= this.settings.maxEntries || this.chars + json.length > this.settings.maxChars))
      this.drop(this.entries.keys().next().value!);
    this.entries.set(key, { at: now, json });
    this.chars += json.length;
    return json;
  }

  private drop(key: string): void {
    const old = this.entries.get(key);
    if (!old) return;
    this.chars -= old.json.length;
    this.entries.delete(key);
  }
}
