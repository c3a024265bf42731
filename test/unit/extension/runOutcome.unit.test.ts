import * as assert from 'node:assert/strict';
import { demoJob, demoJobEnded, demoReport, onDemoAudit, onDemoRun } from '../../../src/commands/demoOutcome';
import { auditBanner, endBanner, exitCodeOf, heldBanner, incidentBanner } from '../../../src/tasks/runOutcome';
import { decisionOf, incident, run } from './records';

const plain = (s: string | null) => s?.replace(/\x1b\[[0-9;]*m/g, '') ?? null;

describe('run outcome in a task terminal', () => {
  it('maps how a run ended to the task exit code', () => {
    assert.equal(exitCodeOf(run({ end_reason: 'exited', exit_code: 0 })), 0);
    assert.equal(exitCodeOf(run({ end_reason: 'exited', exit_code: 3 })), 3);
    assert.equal(exitCodeOf(run({ end_reason: 'exited', signal: 'SIGSEGV' })), 139);
    assert.equal(exitCodeOf(run({ end_reason: 'killed', signal: 'SIGTERM' })), 137);
    assert.equal(exitCodeOf(run({ end_reason: 'stopped_by_user', signal: 'SIGTERM' })), 130);
    assert.equal(exitCodeOf(run({ end_reason: 'supervisor_shutdown' })), 130);
    assert.equal(exitCodeOf(run({ end_reason: 'failed_to_start' })), 127);
  });

  it('banners: FlowForge stepping in, alerts, others stopping the job; not our own stops', () => {
    const inc = incident();
    const kill = { id: 'a', t: 0, actor: 'flowforge', action: 'auto_kill', reason: 'spinning for 8 s', request_id: null, run_id: 'run_1', workspace_id: null, details: {} };
    assert.equal(plain(auditBanner(kill, inc, 'api:vscode')), '■ FlowForge stopped this job: CPU loop — spinning for 8 s');
    assert.equal(plain(auditBanner({ ...kill, actor: 'api:vscode', action: 'stop', reason: 'terminal: closed' }, undefined, 'api:vscode')), null);
    assert.equal(plain(auditBanner({ ...kill, actor: 'api:vscode', action: 'stop', reason: 'from the panel' }, undefined, 'api:vscode')), '■ Stopped by api:vscode: from the panel');
    assert.equal(plain(incidentBanner(incident({ action: 'alert', intended: 'alert' }))), '▲ FlowForge alert: CPU loop — same line at 100% CPU');
    assert.equal(incidentBanner(inc), null, 'a kill is bannered by its audit row');
    assert.equal(incidentBanner(incident({ action: 'continue', intended: 'kill' })), null);
    const held = { ...decisionOf(incident()), action: 'alert' as const, intended: 'kill' as const, reason: 'CPU loop (not acted on: protection is off for this workspace)' };
    assert.match(plain(heldBanner(held))!, /^▲ FlowForge would have stopped this job \(not enforced\): CPU loop \(not acted on: protection is off/);
    assert.equal(heldBanner({ ...held, action: 'kill' }), null, 'an enforced kill is told by its audit row');
    assert.equal(heldBanner({ ...held, intended: 'alert' }), null);
    assert.match(plain(endBanner(run({ end_reason: 'failed_to_start' }), 'spawn x ENOENT'))!, /could not start this job: spawn x ENOENT/);
  });
});

describe('demo outcome', () => {
  it('reports detection time, peak CPU, recovery and the untouched build', () => {
    const agent = demoJob(run({ id: 'a1', job_id: 'a1', started_at: 0 }));
    const build = demoJob(run({ id: 'b1', job_id: 'b1', started_at: 0 }));
    onDemoRun(agent, run({ id: 'a1', job_id: 'a1', ended_at: 7000, end_reason: 'restarted', peak_cpu_percent: 97.6 }));
    onDemoAudit(agent, { id: 'x', t: 6500, actor: 'flowforge', action: 'auto_restart', reason: 'loop', request_id: null, run_id: 'a1', workspace_id: null, details: { incident_id: 'inc_9' } });
    onDemoAudit(build, { id: 'x', t: 6500, actor: 'flowforge', action: 'auto_restart', reason: 'loop', request_id: null, run_id: 'a1', workspace_id: null, details: {} });
    assert.equal(demoJobEnded(agent), false);
    onDemoRun(agent, run({ id: 'a2', job_id: 'a1', attempt: 2, ended_at: 12000, end_reason: 'exited', exit_code: 0 }));
    onDemoRun(build, run({ id: 'b1', job_id: 'b1', ended_at: 9000, end_reason: 'exited', exit_code: 0 }));
    assert.ok(demoJobEnded(agent) && demoJobEnded(build));
    const r = demoReport(agent, build);
    assert.deepEqual(r.lines, ['Runaway detected in 6.5 seconds', 'CPU peaked at 98%', 'Process recovered (attempt 2 exited cleanly)', 'Healthy build finished untouched']);
    assert.equal(r.ok, true);
    assert.equal(agent.incidentId, 'inc_9');
  });
});
