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
  ttlMs: number;
}

export const DEFAULT_PAGE_CACHE: PageCacheSettings = { maxEntries: 512, ttlMs: 5000 };

export class PageCache {
  private readonly entries = new Map<string, { at: number; json: string }>();

  constructor(
    private readonly clock: Clock,
    private readonly count: (result: 'hit' | 'miss') => void,
    private readonly settings: PageCacheSettings = DEFAULT_PAGE_CACHE,
  ) {}

  /** Something a page may show changed: every entry is out of date. */
  readonly invalidate = (): void => {
    if (this.entries.size > 0) this.entries.clear();
  };

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
    if (this.entries.size >= this.settings.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { at: now, json });
    return json;
  }
}
