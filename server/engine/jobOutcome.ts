// How a job went, across all its attempts: when it was first flagged, when
// FlowForge stepped in and how, the peaks, and the outcome `flowforge run`
// reports (SPEC §9: summary JSON and exit code).
import type { Verdict } from '../policy/types';
import type { EndReason, Run } from '../protocol/domain';
import type { StopResult } from '../supervisor/teardown';
import type { JobOutcome } from './events';
import { firedRules } from './incidentBook';

const round = (n: number) => Math.round(n * 100) / 100;

export class JobTally {
  private firstFlagAt: number | null = null;
  private intervenedAt: number | null = null;
  private action: 'kill' | 'restart' | null = null;
  private readonly rules = new Set<string>();
  alerts = 0;
  peakCpu = 0;
  peakRssMb = 0;
  startError: string | null = null;
  /** How the job ended when it was stopped between attempts (no run of its own ended then). */
  endOverride: EndReason | null = null;

  constructor(private readonly startedAt: number) {}

  noteVerdict(v: Verdict, t: number): void {
    if (v.action === 'continue' && v.intended === 'continue') return;
    this.firstFlagAt ??= t;
    for (const r of firedRules(v)) this.rules.add(r);
  }

  noteIntervention(kind: 'kill' | 'restart', t: number): void {
    this.intervenedAt ??= t;
    this.action = this.action === 'restart' ? 'restart' : kind;
  }

  notePeaks(cpu: number, rssMb: number): void {
    this.peakCpu = Math.max(this.peakCpu, cpu);
    this.peakRssMb = Math.max(this.peakRssMb, rssMb);
  }

  outcome(jobId: string, runs: Run[], incidentIds: string[], now: number): JobOutcome {
    const first = runs[0];
    const last = runs[runs.length - 1];
    const sec = (t: number | null) => (t === null ? null : round((t - this.startedAt) / 1000));
    let outcome: EndReason = this.endOverride ?? last?.end_reason ?? 'failed_to_start';
    // Restarted by FlowForge, then the job finished by itself: that is a recovery.
    if (outcome === 'exited' && runs.some((r) => r.end_reason === 'restarted')) outcome = 'restarted';
    return {
      job_id: jobId,
      run_id: first?.id ?? jobId,
      outcome,
      exit_code: last?.exit_code ?? null,
      signal: last?.signal ?? null,
      intervened: this.intervenedAt !== null,
      action: this.action,
      first_flag_s: sec(this.firstFlagAt),
      intervened_after_s: sec(this.intervenedAt),
      alerts: this.alerts,
      incident_ids: [...incidentIds],
      rules: [...this.rules],
      peak_cpu_percent: round(this.peakCpu),
      peak_rss_mb: round(this.peakRssMb),
      duration_s: round(((last?.ended_at ?? now) - this.startedAt) / 1000),
      attempts: runs.length,
      start_error: this.startError,
    };
  }
}

const SIGNAL_NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGTERM: 15 };

/** The exit code `flowforge run` returns for a job's outcome (SPEC §9). */
export function exitCodeFor(o: JobOutcome): number {
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
export function endDescription(run: Run, stop: StopResult | null): string {
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
    default:
      return `exited with ${how}`;
  }
}
