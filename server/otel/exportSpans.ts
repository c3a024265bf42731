// A span per run, following the OpenTelemetry conventions for CLI programs:
// FlowForge starts the job, so the span is a CLIENT span named after the
// executable, with process.executable.name, process.command_args (redacted),
// process.pid and, at the end, process.exit.code (error status and error.type
// when it is not 0). FlowForge's decisions on the run (alert, nudge, block,
// kill, restart, or one held back) are its events, with rule and confidence.
import { SpanKind, SpanStatusCode, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import { constants } from 'node:os';
import type { Run } from '../shared/protocol/domain';
import { runRef, type DecisionFact, type IncidentFact } from './export';
import { redactAttributes } from './exportRedact';

export class RunSpans {
  private readonly open = new Map<string, Span>();

  constructor(private readonly tracer: Tracer) {}

  /** A run record changed: the span starts with the run, learns its pid, and ends with it. */
  run(run: Run): void {
    let span = this.open.get(run.id);
    if (!span) {
      if (this.ended.has(run.id)) return;
      span = this.tracer.startSpan(runRef(run).executable, { kind: SpanKind.CLIENT, startTime: run.started_at, attributes: startAttributes(run) });
      this.open.set(run.id, span);
    }
    if (run.pid !== null) span.setAttribute('process.pid', run.pid);
    if (run.ended_at === null) return;
    span.setAttributes(redactAttributes(endAttributes(run)));
    const code = exitCodeOf(run);
    if (code !== 0 || run.end_reason === 'killed' || run.end_reason === 'failed_to_start') {
      span.setStatus({ code: SpanStatusCode.ERROR, message: `${run.end_reason ?? 'ended'}${run.signal ? ` by ${run.signal}` : ''}` });
    }
    span.end(run.ended_at);
    this.open.delete(run.id);
    this.ended.add(run.id);
  }

  /** Runs whose span has ended (a late record of them must not open a new one). */
  private readonly ended = new Set<string>();

  decision(f: DecisionFact): void {
    this.open.get(f.runId)?.addEvent(
      'flowforge.decision',
      redactAttributes({
        'flowforge.decision.action': f.action,
        'flowforge.decision.intended': f.intended,
        'flowforge.decision.enforced': f.enforced,
        'flowforge.rule': f.rules[0] ?? 'none',
        'flowforge.rules': f.rules,
        'flowforge.confidence': f.confidence,
        'flowforge.reason': f.reason,
        ...(f.incidentId ? { 'flowforge.incident.id': f.incidentId } : {}),
      }),
      f.t,
    );
  }

  /** A spent restart budget is no decision of its own, but it is why the job ended. */
  incident(f: IncidentFact): void {
    const span = this.open.get(f.runId);
    if (!span) return;
    span.setAttribute('flowforge.incident.id', f.incidentId);
    if (f.action === 'budget_spent') {
      span.addEvent('flowforge.restart_budget_spent', redactAttributes({ 'flowforge.rule': f.rule, 'flowforge.incident.id': f.incidentId, 'flowforge.reason': f.explanation.join(' ') }), f.t);
    }
  }

  /** FlowForge is stopping with runs still open (a backend shutting down): end their spans as unfinished. */
  endAll(why: string): void {
    for (const span of this.open.values()) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: why });
      span.end();
    }
    this.open.clear();
  }
}

function startAttributes(run: Run): Attributes {
  const ref = runRef(run);
  return redactAttributes({
    'process.executable.name': ref.executable,
    // The run's argv is redacted when the run is made; redactAttributes does it again.
    'process.command_args': run.argv,
    'process.working_directory': run.cwd,
    'flowforge.run.id': run.id,
    'flowforge.job.id': run.job_id,
    'flowforge.job.name': run.name,
    'flowforge.run.attempt': run.attempt,
    'flowforge.run.source': run.source,
    'flowforge.profile': run.profile,
    'flowforge.on_runaway': run.on_runaway,
    ...(run.workspace_id ? { 'flowforge.workspace.id': run.workspace_id } : {}),
  });
}

function endAttributes(run: Run): Attributes {
  const code = exitCodeOf(run);
  return {
    ...(code !== null ? { 'process.exit.code': code } : {}),
    ...(code !== null && code !== 0 ? { 'error.type': String(code) } : {}),
    ...(run.signal ? { 'flowforge.run.signal': run.signal } : {}),
    'flowforge.run.end_reason': run.end_reason ?? 'exited',
    'flowforge.run.intervened': run.intervened,
    'flowforge.run.peak_cpu_percent': run.peak_cpu_percent,
    'flowforge.run.peak_rss_mb': run.peak_rss_mb,
  };
}

/** The exit code, or for a death by signal the shell's 128 + signal number (what a caller of the process saw). */
function exitCodeOf(run: Run): number | null {
  if (run.exit_code !== null) return run.exit_code;
  const n = run.signal ? constants.signals[run.signal as keyof typeof constants.signals] : undefined;
  return n !== undefined ? 128 + n : null;
}
