// Runs a dead supervisor left unfinished. Whoever opens a store for writing
// holds its lock, so any run still open in it belongs to a writer that is
// gone: it crashed, was killed (its reaper stopped the job), or lost its
// output reader before that was handled. Such a run would show RUNNING for
// ever; it is closed as `supervisor_lost`, ending at the last moment it was
// known alive (its last sample), with a lifecycle row saying what happened.
import type { Run } from '../shared/protocol/domain';
import { endDescription } from '../shared/runEnd';
import { newId } from '../util/ids';
import type { EvidenceStore } from './types';

/** Closes every unfinished run as supervisor_lost; returns them. */
export function closeLostRuns(store: EvidenceStore, now: number): Run[] {
  const lost: Run[] = [];
  for (;;) {
    const page = store.listRuns({ active: true, limit: 100 });
    if (page.items.length === 0) break;
    for (const run of page.items) lost.push(closeLost(store, run, now));
  }
  return lost;
}

function closeLost(store: EvidenceStore, open: Run, now: number): Run {
  const lastSample = store.samples(open.id, { limit: 1 })[0];
  const run: Run = { ...open, lifecycle: 'FAILED', end_reason: 'supervisor_lost', ended_at: Math.max(open.started_at, lastSample?.t ?? 0) };
  const why = endDescription(run, null);
  store.addLifecycle({ id: newId('lc', now), t: now, run_id: run.id, job_id: run.job_id, phase: 'FAILED', previous: open.lifecycle, reason: why, request_id: null });
  store.upsertRun(run, { summary: `${run.name}: ${why}` });
  return run;
}
