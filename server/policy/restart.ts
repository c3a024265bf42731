// Restart policy: automatic restarts back off exponentially
// (1 s, x2, capped at 60 s, reset after 5 min healthy), and every restart,
// automatic or manual, counts against a budget (3 in 300 s), so a job that
// runs away on every start is stopped and left stopped instead of cycling for
// ever. Pure: the caller passes the time.
import type { RestartSettings } from './types';

export type RestartAnswer =
  | { allowed: true; delayMs: number }
  | { allowed: false; reason: string; retryAfterMs: number };

export const DEFAULT_RESTART: Readonly<RestartSettings> = Object.freeze({
  initialDelayMs: 1_000,
  factor: 2,
  maxDelayMs: 60_000,
  resetAfterMs: 300_000,
  budget: 3,
  budgetWindowMs: 300_000,
});

export class RestartController {
  /** When each restart in the budget window was granted. */
  private granted: number[] = [];
  /** Automatic restarts since the job last ran healthy for resetAfterMs. */
  private streak = 0;
  private attemptStartedAt: number | null = null;

  constructor(private readonly s: RestartSettings = DEFAULT_RESTART) {}

  /**
   * An automatic restart after a runaway: granted within the budget, after a
   * delay that doubles with each restart in a row; or refused with the reason.
   */
  next(now: number): RestartAnswer {
    this.recordHealthy(now);
    const refused = this.check(now);
    if (refused) return refused;
    const delayMs = this.peekDelayMs();
    this.streak++;
    this.granted.push(now);
    // The next attempt starts after the delay (attemptStarted() may refine it).
    this.attemptStartedAt = now + delayMs;
    return { allowed: true, delayMs };
  }

  /** A restart asked for by a person or an API client: budget only, no delay. */
  manual(now: number): RestartAnswer {
    const refused = this.check(now);
    if (refused) return refused;
    this.granted.push(now);
    return { allowed: true, delayMs: 0 };
  }

  /** The budget alone, without using it: null when a restart would be allowed now. */
  check(now: number): Extract<RestartAnswer, { allowed: false }> | null {
    this.granted = this.granted.filter((at) => now - at < this.s.budgetWindowMs);
    if (this.granted.length < this.s.budget) return null;
    const retryAfterMs = Math.max(1, this.granted[0]! + this.s.budgetWindowMs - now);
    return {
      allowed: false,
      retryAfterMs,
      reason:
        `restart budget spent: ${this.s.budget} restart${this.s.budget === 1 ? '' : 's'} in the last ` +
        `${Math.round(this.s.budgetWindowMs / 1000)} s (the next is allowed in ${Math.ceil(retryAfterMs / 1000)} s)`,
    };
  }

  /** A new attempt of the job started now. */
  attemptStarted(now: number): void {
    this.attemptStartedAt = now;
  }

  /** The current attempt is running without trouble: after resetAfterMs of that, the backoff starts over. */
  recordHealthy(now: number): void {
    if (this.attemptStartedAt !== null && now - this.attemptStartedAt >= this.s.resetAfterMs) this.streak = 0;
  }

  /** The delay the next automatic restart would get (for display). */
  peekDelayMs(): number {
    return Math.min(this.s.maxDelayMs, this.s.initialDelayMs * this.s.factor ** this.streak);
  }
}
