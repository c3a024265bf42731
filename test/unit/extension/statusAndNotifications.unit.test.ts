import * as assert from 'node:assert/strict';
import type { AuditEvent } from '../../../server/shared/protocol/domain';
import { InterventionTracker, QUIET_MS } from '../../../src/notifications/interventions';
import { ALARM_MS, StatusModel } from '../../../src/status/statusModel';
import { incident, run } from './records';

function audit(over: Partial<AuditEvent> = {}): AuditEvent {
  return { id: 'aud_1', t: 6000, actor: 'flowforge', action: 'auto_kill', reason: 'spinning for 8 s', request_id: null, run_id: 'run_1', workspace_id: null, details: { incident_id: 'inc_1' }, ...over };
}

describe('status bar model', () => {
  it('idle, then the number of jobs', () => {
    const m = new StatusModel();
    assert.equal(m.view(0).text, '$(shield) FlowForge');
    m.onRun(run());
    m.onRun(run({ id: 'run_2', job_id: 'run_2' }));
    assert.equal(m.view(0).text, '$(pulse) FlowForge: 2 jobs');
    m.onRun(run({ ended_at: 9000 }));
    assert.equal(m.view(0).text, '$(pulse) FlowForge: 1 job');
  });

  it('turns to the runaway state naming the job when an incident opens, until acknowledged', () => {
    const m = new StatusModel();
    m.onRun(run());
    m.onIncident(incident({ action: 'alert', intended: 'alert' }), 0);
    assert.deepEqual([m.view(0).text, m.view(0).background], ['$(alert) FlowForge: runaway — train', 'warning']);
    m.onAudit(audit());
    assert.equal(m.view(0).background, 'error');
    m.onIncident(incident({ status: 'closed', closed_at: 7000 }), 1);
    assert.equal(m.view(1).background, 'error', 'stays after the incident closes');
    assert.equal(m.view(1).incident?.status, 'closed');
    m.acknowledge();
    assert.equal(m.view(1).background, null);
  });

  it('lets the runaway state expire', () => {
    const m = new StatusModel();
    m.onIncident(incident(), 0);
    assert.equal(m.nextChangeAt(), ALARM_MS);
    assert.equal(m.view(ALARM_MS - 1).background, 'error');
    assert.equal(m.view(ALARM_MS).background, null);
  });

  it('shows a restarting backend, and a seed replaces the active runs', () => {
    const m = new StatusModel();
    m.onRun(run());
    m.backend = 'restarting';
    assert.match(m.view(0).text, /restarting/);
    m.backend = 'ready';
    m.seed([], incident());
    assert.equal(m.view(0).text, '$(shield) FlowForge');
    assert.equal(m.view(0).incident?.id, 'inc_1');
  });
});

describe('intervention notifications', () => {
  it('tells a kill from the audit row, with the incident title and the job name', () => {
    const t = new InterventionTracker();
    t.onRun(run());
    assert.equal(t.onIncident(incident(), 0), null, 'a kill is told when it happens');
    const n = t.onAudit(audit(), 0);
    assert.deepEqual(n && [n.severity, n.message, n.incidentId, n.canRestart], ['error', 'FlowForge stopped "train": CPU loop — spinning for 8 s', 'inc_1', true]);
  });

  it('tells alerts and held actions as warnings, and never offers Restart for a terminal command', () => {
    const t = new InterventionTracker();
    t.onRun(run({ source: 'watch' }));
    const alert = t.onIncident(incident({ action: 'alert', intended: 'kill', enforced: false }), 0);
    assert.equal(alert?.severity, 'warning');
    assert.equal(alert?.canRestart, false);
    const t2 = new InterventionTracker();
    const held = t2.onIncident(incident({ action: 'continue', intended: 'restart', enforced: false }), 0);
    assert.match(held!.message, /would have restarted "train" \(not enforced\)/);
  });

  it('does not repeat itself for one job within the quiet time, but an escalation gets through', () => {
    const t = new InterventionTracker();
    t.onRun(run());
    assert.ok(t.onIncident(incident({ action: 'alert', intended: 'alert' }), 0));
    assert.equal(t.onIncident(incident({ id: 'inc_2', action: 'alert', intended: 'alert' }), 1000), null);
    assert.ok(t.onAudit(audit(), 2000), 'an error after a warning');
    assert.ok(t.onIncident(incident({ id: 'inc_3', action: 'alert', intended: 'alert' }), QUIET_MS + 1));
  });

  it('ignores actions of people and API clients, and a budget spent is an error', () => {
    const t = new InterventionTracker();
    assert.equal(t.onAudit(audit({ actor: 'api:vscode', action: 'stop' }), 0), null);
    const spent = t.onIncident(incident({ kind: 'restart_budget_spent', title: 'Restart budget spent', status: 'open' }), 0);
    assert.equal(spent?.severity, 'error');
  });
});
