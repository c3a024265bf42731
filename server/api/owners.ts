// Which API key started a run, for scoping what a submit key may see and do.
// Owners never change, so answers are cached (bounded).
import type { EvidenceStore } from '../store/types';
import type { Principal } from './keys';

const CACHE_MAX = 4096;

export class OwnerIndex {
  private readonly cache = new Map<string, string | null>();

  constructor(private readonly store: EvidenceStore) {}

  ownerOf(runId: string): string | null | undefined {
    if (this.cache.has(runId)) return this.cache.get(runId);
    const run = this.store.getRun(runId);
    if (!run) return undefined;
    if (this.cache.size >= CACHE_MAX) this.cache.clear();
    this.cache.set(runId, run.owner);
    return run.owner;
  }

  /** Whether the principal may see rows of this run (anything but a submit key sees all). */
  visible(principal: Principal | null, runId: string | null): boolean {
    if (!principal || principal.scope !== 'submit') return true;
    return runId !== null && this.ownerOf(runId) === principal.name;
  }
}

/** The owner filter for store queries: a submit key's own name, else none. */
export const ownerScope = (principal: Principal | null): string | undefined =>
  principal?.scope === 'submit' ? principal.name : undefined;
