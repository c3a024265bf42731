// How a run ended, in words and as an exit code. The engine writes the words
// into the run's lifecycle row; `flowforge run` exits with the code, so a
// script calling it can tell a FlowForge stop (137) from the job's own failure.
import type { EndReason, Run } from './protocol/domain';

/** The part of a job's outcome (engine/events.ts) its exit code depends on. */
interface RunEndStatus {
  outcome: EndReason;
  exit_code: number | null;
  signal: string | null;
}

const SIGNAL_NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGTERM: 15 };

/** The exit code `flowforge run` returns for a job's outcome: 127 never started, 130 stopped by a person, 137 stopped by FlowForge, else the job's own. */
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
      if (o.exit_code !== null) return o.exit_code;
      return o.signal ? 128 + (SIGNAL_NUMBERS[o.signal] ?? 1) : 1;
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
