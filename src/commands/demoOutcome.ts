// What `FlowForge: Run Demo` reports, read from the journal of its two jobs
// (free of 'vscode', unit-tested): when the runaway was caught, how high its
// CPU went, whether the restarted attempt recovered, and whether the healthy
// build was left alone.
import type { AuditEvent, Run } from '../../server/shared/protocol/domain';

export interface DemoJob {
  jobId: string;
  runIds: Set<string>;
  startedAt: number;
  /** The job's newest attempt. */
  last: Run | null;
  peakCpu: number;
  interventionAt: number | null;
  incidentId: string | null;
  alerts: number;
}

export function demoJob(run: Run): DemoJob {
  return { jobId: run.job_id, runIds: new Set([run.id]), startedAt: run.started_at, last: run, peakCpu: 0, interventionAt: null, incidentId: null, alerts: 0 };
}

export function onDemoRun(job: DemoJob, run: Run): void {
  if (run.job_id !== job.jobId) return;
  job.runIds.add(run.id);
  if (!job.last || run.attempt >= job.last.attempt) job.last = run;
  job.peakCpu = Math.max(job.peakCpu, run.peak_cpu_percent);
}

export function onDemoAudit(job: DemoJob, audit: AuditEvent): void {
  if (!audit.run_id || !job.runIds.has(audit.run_id) || audit.actor !== 'flowforge') return;
  if (audit.action !== 'auto_restart' && audit.action !== 'auto_kill') return;
  job.interventionAt ??= audit.t;
  if (typeof audit.details.incident_id === 'string') job.incidentId ??= audit.details.incident_id;
}

/** The job has ended: its newest attempt ended, and not for a restart. */
export function demoJobEnded(job: DemoJob): boolean {
  return !!job.last && job.last.ended_at !== null && job.last.end_reason !== 'restarted';
}

export interface DemoReport {
  ok: boolean;
  lines: string[];
}

export function demoReport(runaway: DemoJob, build: DemoJob): DemoReport {
  const caught = runaway.interventionAt !== null;
  const recovered = runaway.last?.end_reason === 'exited' && runaway.last.exit_code === 0 && runaway.last.attempt > 1;
  const buildClean = build.interventionAt === null && build.last?.end_reason === 'exited' && build.last.exit_code === 0;
  const lines = [
    caught ? `Runaway detected in ${((runaway.interventionAt! - runaway.startedAt) / 1000).toFixed(1)} seconds` : 'The runaway was not caught',
    `CPU peaked at ${Math.round(runaway.peakCpu)}%`,
    recovered ? `Process recovered (attempt ${runaway.last!.attempt} exited cleanly)` : `The restarted job did not recover (${runaway.last?.end_reason ?? 'still running'})`,
    buildClean ? 'Healthy build finished untouched' : `The healthy build was disturbed (${build.last?.end_reason ?? 'still running'})`,
  ];
  return { ok: caught && recovered && buildClean, lines };
}
