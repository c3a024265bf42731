// The incident drill-down the panel host holds, kept current by the live
// stream instead of re-reading it: a journal row of the incident or its run
// joins the chain and updates the incident, its decisions or its run; a
// sample of the run joins the curves. Each row's record is checked with the
// schema of its kind here, once (recordOf).
import type { IncidentDetail } from '../../server/shared/protocol/api';
import type { Sample, TimelineEvent } from '../../server/shared/protocol/domain';
import { DETAIL_CHAIN_ROWS, DETAIL_SAMPLES } from '../../server/shared/protocol/panelDefaults';
import { recordOf } from '../backend/journal';

/** Whether the row belongs to the incident's chain (the store's rule: its run's rows and its own). */
export function touches(detail: IncidentDetail, row: TimelineEvent): boolean {
  return row.incident_id === detail.incident.id || (row.run_id !== null && row.run_id === detail.incident.run_id);
}

/** The detail with `row` applied, or null when the row does not touch it (or was applied already). */
export function withRow(detail: IncidentDetail, row: TimelineEvent): IncidentDetail | null {
  if (!touches(detail, row)) return null;
  const last = detail.chain[detail.chain.length - 1];
  if (last && row.seq <= last.seq) return null; // a replayed row after a reconnect
  const next: IncidentDetail = { ...detail, chain: [...detail.chain, row].slice(-DETAIL_CHAIN_ROWS) };
  const incident = recordOf(row, 'incident');
  if (incident?.id === detail.incident.id) next.incident = incident;
  const decision = recordOf(row, 'decision');
  if (decision && decision.incident_id === detail.incident.id) next.decisions = [...detail.decisions, decision];
  const run = recordOf(row, 'run');
  if (run && run.id === detail.incident.run_id) next.run = run;
  return next;
}

/** The detail with the sample of its run appended (the newest DETAIL_SAMPLES kept), or null when it is not its run's. */
export function withSample(detail: IncidentDetail, sample: Sample): IncidentDetail | null {
  if (sample.run_id !== detail.incident.run_id) return null;
  const last = detail.samples[detail.samples.length - 1];
  if (last && sample.t <= last.t) return null;
  return { ...detail, samples: [...detail.samples, sample].slice(-DETAIL_SAMPLES) };
}
