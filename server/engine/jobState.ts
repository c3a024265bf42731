// A job's one explicit state, and the only place it changes. Like systemd's
// service_set_state, every change goes through transition(), which refuses a
// change the table below does not allow, so a new path through a job's life
// (a new action, a new kind of stop) has to say where it comes from and goes.
//
//   ended    → starting   start, or a manual restart of an ended job
//   starting → running    the process has a pid
//   starting → stopping   it failed to start, or a stop/restart came first
//   running  → stopping   it exited by itself, or a stop, kill or restart
//   stopping → stopping   a stop or restart request changes what comes after
//   stopping → ended      the attempt is wrapped up and nothing follows
//   stopping → backoff    the attempt is wrapped up and a restart follows
//   backoff  → starting   the delay is over, or a person asked for the restart
//   backoff  → ended      stopped between attempts
import type { EndReason } from '../shared/protocol/domain';
import type { TimerHandle } from '../util/clock';
import type { Attempt } from './attempt';
import type { JobOutcome } from './events';

/** What follows once the stopping attempt is gone: the job ends, or another attempt starts after a delay. */
export type AfterStop =
  | { then: 'end'; /** How the job ended when that differs from how its last run ended. */ endReason: EndReason | null }
  | { then: 'restart'; delayMs: number; requestId: string | null };

export type JobState =
  | { name: 'starting'; attempt: Attempt }
  | { name: 'running'; attempt: Attempt }
  | { name: 'stopping'; attempt: Attempt; after: AfterStop }
  | { name: 'backoff'; timer: TimerHandle; requestId: string | null }
  /** `outcome` is null only before the job first started. */
  | { name: 'ended'; outcome: JobOutcome | null };

export type JobStateName = JobState['name'];

/** Every allowed change; anything else is a bug in the caller. */
const ALLOWED: Record<JobStateName, readonly JobStateName[]> = {
  ended: ['starting'],
  starting: ['running', 'stopping'],
  running: ['stopping'],
  stopping: ['stopping', 'backoff', 'ended'],
  backoff: ['starting', 'ended'],
};

export class InvalidTransitionError extends Error {
  constructor(
    readonly from: JobStateName,
    readonly to: JobStateName,
    why: string,
  ) {
    super(`a job cannot go from ${from} to ${to} (${why})`);
  }
}

export const canTransition = (from: JobStateName, to: JobStateName): boolean => ALLOWED[from].includes(to);

/** Holds the state; `onEnter` runs after every change (the job resolves its waiters there). */
export class JobStateMachine {
  private current: JobState = { name: 'ended', outcome: null };

  constructor(private readonly onEnter: (next: JobState, prev: JobState, why: string) => void = () => undefined) {}

  get state(): JobState {
    return this.current;
  }

  /** The one place a job's state changes. Throws InvalidTransitionError for a change the table does not allow. */
  transition(next: JobState, why: string): void {
    const prev = this.current;
    if (!canTransition(prev.name, next.name)) throw new InvalidTransitionError(prev.name, next.name, why);
    this.current = next;
    this.onEnter(next, prev, why);
  }

  /** The attempt the job is working on (starting, running or stopping), if any. */
  get attempt(): Attempt | null {
    const s = this.current;
    return s.name === 'starting' || s.name === 'running' || s.name === 'stopping' ? s.attempt : null;
  }
}
