// How the dashboard's metrics are derived from engine events: runaways counted
// once when a rule opens an incident, time to act measured once per incident
// from its opening to FlowForge's first stop, "not a runaway" audit rows
// counted under their incident's rule.
import { strict as assert } from 'node:assert';
import { Registry } from 'prom-client';
import { RunawayMetrics } from '../../../server/api/runawayMetrics';
import type { InterventionEvent } from '../../../server/engine/events';
import { NOT_A_RUNAWAY_AUDIT_ACTION } from '../../../server/shared/protocol/choices';
import type { Incident, TimelineEvent } from '../../../server/shared/protocol/domain';

const incident = (over: Partial<Incident>): Incident =>
  ({ id: 'inc_1', kind: 'cpu_loop', status: 'open', opened_at: 10_000, updated_at: 10_000, rules: ['cpu_loop'], ...over }) as Incident;

const journal = (kind: TimelineEvent['kind'], data: Record<string, unknown>, incidentId: string | null = null): TimelineEvent =>
  ({ seq: 1, t: 0, kind, ref_id: 'x', run_id: 'run_1', incident_id: incidentId, workspace_id: null, request_id: null, summary: '', data }) as TimelineEvent;

const stepIn = (kind: InterventionEvent['kind'], inc: Incident | null, t: number): InterventionEvent =>
  ({ kind, incident: inc, snapshot: { t }, run: {}, verdict: null, explanation: [] }) as unknown as InterventionEvent;

describe('api: runaway metrics', () => {
  let registry: Registry;
  let m: RunawayMetrics;
  const known = new Map<string, Incident>();
  const text = () => registry.metrics();

  beforeEach(() => {
    registry = new Registry();
    known.clear();
    m = new RunawayMetrics([registry], (id) => known.get(id) ?? null);
  });

  it('counts a runaway when a rule opens its incident, not when it closes or when the restart budget opens one', async () => {
    m.onJournal(journal('incident', incident({})));
    m.onJournal(journal('incident', incident({ status: 'closed' })));
    m.onJournal(journal('incident', incident({ id: 'inc_2', kind: 'restart_budget_spent', rules: [] })));
    m.onJournal(journal('incident', incident({ id: 'inc_3', kind: 'memory_limit', rules: ['memory_limit'] })));
    const t = await text();
    assert.match(t, /^flowforge_runaways_total\{rule="cpu_loop"\} 1$/m);
    assert.match(t, /^flowforge_runaways_total\{rule="memory_limit"\} 1$/m);
    assert.doesNotMatch(t, /restart_budget_spent/);
  });

  it('measures time to act from the incident opening to the first kill or restart, once per incident', async () => {
    const inc = incident({});
    m.onIntervention(stepIn('alert', inc, 12_000));
    m.onIntervention(stepIn('held', inc, 13_000));
    m.onIntervention(stepIn('restart', inc, 17_500));
    m.onIntervention(stepIn('restart', inc, 40_000));
    m.onIntervention(stepIn('budget_spent', incident({ id: 'inc_b', kind: 'restart_budget_spent' }), 41_000));
    m.onIntervention(stepIn('kill', null, 42_000));
    const t = await text();
    assert.match(t, /^flowforge_time_to_act_seconds_count\{rule="cpu_loop",action="restart"\} 1$/m);
    assert.match(t, /^flowforge_time_to_act_seconds_sum\{rule="cpu_loop",action="restart"\} 7.5$/m);
    assert.match(t, /^flowforge_time_to_act_seconds_bucket\{le="5",rule="cpu_loop",action="restart"\} 0$/m);
    assert.match(t, /^flowforge_time_to_act_seconds_bucket\{le="10",rule="cpu_loop",action="restart"\} 1$/m);
    assert.doesNotMatch(t, /action="kill"/);
  });

  it('counts "not a runaway" audit rows under their incident’s rule, other audit rows not at all', async () => {
    known.set('inc_7', incident({ id: 'inc_7', kind: 'output_loop' }));
    m.onJournal(journal('audit', { action: NOT_A_RUNAWAY_AUDIT_ACTION, details: { incident_id: 'inc_7' } }, 'inc_7'));
    m.onJournal(journal('audit', { action: NOT_A_RUNAWAY_AUDIT_ACTION, details: { incident_id: 'inc_7' } }));
    m.onJournal(journal('audit', { action: NOT_A_RUNAWAY_AUDIT_ACTION, details: {} }));
    m.onJournal(journal('audit', { action: 'stop', details: { incident_id: 'inc_7' } }, 'inc_7'));
    const t = await text();
    assert.match(t, /^flowforge_not_a_runaway_total\{rule="output_loop"\} 2$/m);
    assert.match(t, /^flowforge_not_a_runaway_total\{rule="unknown"\} 1$/m);
  });
});
