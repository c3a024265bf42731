// Incidents as OpenTelemetry log records: one each time FlowForge tells a
// person about an incident or acts on it. Severity follows the action (a
// held-back stop is information, an alert a warning, a kill or restart an
// error); the body is the plain explanation the CLI prints; attributes name
// the rule, the run and the incident.
import { SeverityNumber, type Logger } from '@opentelemetry/api-logs';
import type { IncidentFact } from './export';
import { redactAttributes } from './exportRedact';
import { redact } from '../shared/redact';

const SEVERITY: Record<IncidentFact['action'], [SeverityNumber, string]> = {
  held: [SeverityNumber.INFO, 'INFO'],
  alert: [SeverityNumber.WARN, 'WARN'],
  restart: [SeverityNumber.ERROR, 'ERROR'],
  kill: [SeverityNumber.ERROR, 'ERROR'],
  budget_spent: [SeverityNumber.ERROR, 'ERROR'],
};

export class IncidentLogs {
  constructor(private readonly logger: Logger) {}

  incident(f: IncidentFact): void {
    const [severityNumber, severityText] = SEVERITY[f.action];
    this.logger.emit({
      timestamp: f.t,
      severityNumber,
      severityText,
      eventName: 'flowforge.incident',
      body: redact(f.explanation.join('\n')),
      attributes: redactAttributes({
        'flowforge.incident.id': f.incidentId,
        'flowforge.incident.title': f.title,
        'flowforge.action': f.action,
        'flowforge.rule': f.rule,
        'flowforge.rules': f.rules,
        'flowforge.confidence': f.confidence,
        'flowforge.run.id': f.runId,
        'flowforge.job.id': f.jobId,
      }),
    });
  }
}
