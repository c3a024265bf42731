// How a job went, across all its attempts: when it was first flagged, when
// FlowForge stepped in and how, the peaks, and the outcome `flowforge run`
// reports in its summary JSON (the exit code comes from shared/runEnd.ts).
import type { Verdict } from '../policy/types';
import type { EndReason, Run } from '../shared/protocol/domain';
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

  /** `endReason`: how the job ended when no run of its own ended that way (stopped between attempts). */
  outcome(jobId: string, runs: Run[], incidentIds: string[], now: number, endReason: EndReason | null = null): JobOutcome {
    const first = runs[0];
    const last = runs[runs.length - 1];
    const sec = (t: number | null) => (t === null ? null : round((t - this.startedAt) / 1000));
    let outcome: EndReason = endReason ?? last?.end_reason ?? 'failed_to_start';
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
