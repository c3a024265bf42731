// Time is injected everywhere so detection, policy and restart logic can be
// tested with a fake clock instead of real waiting.
export interface Clock {
  /** Wall-clock time, ms since the epoch: what records are stamped with. */
  now(): number;
  /**
   * A monotonic reading in ms (any origin): what durations are measured with.
   * It never steps when the wall clock is set, and on Linux it does not advance
   * while the machine is suspended. Absent: `now()` serves for both.
   */
  monotonic?(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export interface TimerHandle {
  unref?(): unknown;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** A manual clock for tests: time moves only when `advance` is called. */
export class FakeClock implements Clock {
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private nextId = 1;
  /** How far the wall clock was set away from the monotonic one (stepWall). */
  private wallOffset = 0;
  constructor(private t = 1_700_000_000_000) {}

  now(): number {
    return this.t + this.wallOffset;
  }

  monotonic(): number {
    return this.t;
  }

  /** The wall clock is set (NTP, a person, a VM resumed): `now()` jumps, monotonic time and timers do not. */
  stepWall(ms: number): void {
    this.wallOffset += ms;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer = { at: this.t + Math.max(0, ms), fn, id: this.nextId++ };
    this.timers.push(timer);
    return timer as unknown as TimerHandle;
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers = this.timers.filter((x) => (x as unknown) !== handle);
  }

  /**
   * The process was stopped or starved: time moves on and no timer fires in
   * between; the ones that came due fire late on the next `advance`, as
   * overdue timers do when a blocked event loop resumes.
   */
  stall(ms: number): void {
    this.t += ms;
  }

  /** Moves time forward, firing due timers in order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.t = Math.max(this.t, next.at); // an overdue timer (after a stall) fires late, not back in time
      next.fn();
    }
    this.t = end;
  }
}

/**
 * Monotonic milliseconds anchored at `startedAt` (a wall time): they read like
 * wall time at the start and then only advance as monotonic time does.
 */
export function monotonicFrom(clock: Clock, startedAt: number): () => number {
  if (!clock.monotonic) return () => clock.now();
  const offset = startedAt - clock.monotonic();
  return () => offset + clock.monotonic!();
}

/** Waits for `p`, but no longer than `ms` on `clock` (then resolves without its value); the timer is cleared either way. */
export async function waitAtMost(clock: Clock, p: Promise<unknown>, ms: number): Promise<void> {
  let timer: TimerHandle | null = null;
  const timeout = new Promise<void>((resolve) => {
    timer = clock.setTimeout(resolve, ms);
  });
  try {
    await Promise.race([p, timeout]);
  } finally {
    if (timer) clock.clearTimeout(timer);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
