// How a run ended, in words and as an exit code. The engine writes the words
// into the run's lifecycle row; `flowforge run` and a VS Code task both end with
// the code, so a script or a dependent task can tell a FlowForge stop (137) from
// the job's own failure — the same code whichever way the job was started.
import { constants } from 'node:os';
import type { EndReason, Run } from './protocol/domain';

/** What an exit code depends on: a job's outcome (engine/events.ts) or its last run. */
interface RunEndStatus {
  outcome: EndReason | null;
  exit_code: number | null;
  signal: string | null;
}

/** 127 never started, 130 stopped by a person (or the supervisor went away), 137 stopped by FlowForge, else the job's own (128 + n for signal n, as a shell reports it). */
export function exitCodeFor(o: RunEndStatus): number {
  switch (o.outcome) {
    case 'failed_to_start':
      return 127;
    case 'stopped_by_user':
    case 'supervisor_shutdown':
      return 130;
    case 'killed':
      return 137;
    default:
      // An exit code is 0-255; a negative one (Windows NTSTATUS through Node) is just a failure.
      if (o.exit_code !== null) return o.exit_code < 0 ? 1 : o.exit_code;
      return o.signal ? 128 + (constants.signals[o.signal as NodeJS.Signals] ?? 1) : 1;
  }
}

/** One line saying how a run ended, for its lifecycle row and the timeline. */
export function endDescription(run: Run, stop: { escalated: boolean } | null): string {
  const how = run.signal ? `signal ${run.signal}` : `exit code ${run.exit_code ?? '?'}`;
  const kill = stop?.escalated ? ' (needed SIGKILL)' : '';
  switch (run.end_reason) {
    case 'killed':
      return `stopped by FlowForge${kill}`;
    case 'restarted':
      return `stopped for a restart${kill}`;
    case 'stopped_by_user':
      return `stopped on request${kill}`;
    case 'supervisor_shutdown':
      return `stopped because the supervisor shut down${kill}`;
    case 'supervisor_lost':
      return 'its supervisor ended without recording how it ended (crashed or killed); its reaper stops what was left';
    default:
      return `exited with ${how}`;
  }
}
