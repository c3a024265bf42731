// Throttling of failed authentication. Two fixed-window counters per failure:
// one per client bucket (remote address + fingerprint of the presented key, so
// a client retrying a stale key is slowed down alone) and one per address (so
// an attacker varying the key is slowed down too). A success never clears a
// counter: only time does, so interleaving a valid key buys no extra guesses.
// The throttle only ever sees failures: the caller checks the key first, so a
// valid key is never blocked (a flood of wrong keys cannot lock its owner out).
// Time is monotonic by default, so a wall-clock jump neither lifts a block nor
// makes one last for ever. Memory is bounded by `maxEntries` per map.
import type { Clock } from '../util/clock';

/** Milliseconds from a clock that never goes back (unlike Date.now after an NTP step). */
export const monotonicClock: Pick<Clock, 'now'> = { now: () => performance.now() };

export interface ThrottleSettings {
  /** Failures of one bucket within `windowMs` that block it. */
  maxFailures: number;
  /** Failures from one address within `windowMs` that block the address. */
  addressMaxFailures: number;
  windowMs: number;
  blockMs: number;
  maxEntries: number;
}

export const DEFAULT_THROTTLE: ThrottleSettings = {
  maxFailures: 10,
  addressMaxFailures: 50,
  windowMs: 60_000,
  blockMs: 60_000,
  maxEntries: 10_000,
};

interface Counter {
  count: number;
  windowStart: number;
  blockedUntil: number;
}

class CounterMap {
  private readonly map = new Map<string, Counter>();

  constructor(
    private readonly max: number,
    private readonly s: ThrottleSettings,
  ) {}

  blockedFor(key: string, now: number): number {
    const c = this.map.get(key);
    return c && c.blockedUntil > now ? c.blockedUntil - now : 0;
  }

  /** Counts a failure; returns how long the key is blocked now (0: not blocked). */
  fail(key: string, now: number): number {
    let c = this.map.get(key);
    if (!c || now - c.windowStart >= this.s.windowMs) {
      if (!c) this.makeRoom(now);
      c = { count: 0, windowStart: now, blockedUntil: c?.blockedUntil ?? 0 };
      this.map.set(key, c);
    }
    c.count++;
    if (c.count >= this.max) c.blockedUntil = Math.max(c.blockedUntil, now + this.s.blockMs);
    return this.blockedFor(key, now);
  }

  get size(): number {
    return this.map.size;
  }

  private makeRoom(now: number): void {
    if (this.map.size < this.s.maxEntries) return;
    for (const [k, c] of this.map) {
      if (now - c.windowStart >= this.s.windowMs && c.blockedUntil <= now) this.map.delete(k);
    }
    // Still full of live entries: drop the oldest; an attacker can at worst make us forget itself.
    for (const k of this.map.keys()) {
      if (this.map.size < this.s.maxEntries) break;
      this.map.delete(k);
    }
  }
}

export class AuthThrottle {
  private readonly buckets: CounterMap;
  private readonly addresses: CounterMap;

  constructor(
    private readonly clock: Pick<Clock, 'now'> = monotonicClock,
    settings: Partial<ThrottleSettings> = {},
  ) {
    const s = { ...DEFAULT_THROTTLE, ...settings };
    this.buckets = new CounterMap(s.maxFailures, s);
    this.addresses = new CounterMap(s.addressMaxFailures, s);
  }

  /** Milliseconds the client must wait before trying again; 0 when it may try now. */
  retryAfter(address: string, fingerprint: string): number {
    const now = this.clock.now();
    return Math.max(this.buckets.blockedFor(`${address}|${fingerprint}`, now), this.addresses.blockedFor(address, now));
  }

  /** Records a failed attempt; returns the wait it caused (0 when the client is not blocked yet). */
  fail(address: string, fingerprint: string): number {
    const now = this.clock.now();
    return Math.max(this.buckets.fail(`${address}|${fingerprint}`, now), this.addresses.fail(address, now));
  }

  /** Entries held, for tests of the memory bound. */
  get entries(): number {
    return this.buckets.size + this.addresses.size;
  }
}
