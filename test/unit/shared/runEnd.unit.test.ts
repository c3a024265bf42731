import * as assert from 'node:assert/strict';
import { endDescription, exitCodeFor } from '../../../server/shared/runEnd';
import { makeRun } from '../store/records';

describe('shared/runEnd: how a run ended, for the CLI and a task terminal alike', () => {
  const end = (outcome: Parameters<typeof exitCodeFor>[0]['outcome'], exit_code: number | null, signal: string | null = null) => exitCodeFor({ outcome, exit_code, signal });

  it('gives FlowForge stops, user stops and start failures their fixed codes, whatever the job did', () => {
    assert.equal(end('killed', null, 'SIGKILL'), 137);
    assert.equal(end('stopped_by_user', 0), 130);
    assert.equal(end('supervisor_shutdown', null, 'SIGTERM'), 130);
    assert.equal(end('failed_to_start', null), 127);
  });

  it("passes the job's own code through, and a signal as the shell reports it (128 + n, every signal)", () => {
    assert.equal(end('exited', 0), 0);
    assert.equal(end('exited', 42), 42);
    assert.equal(end('restarted', 3), 3);
    assert.equal(end('exited', null, 'SIGSEGV'), 139);
    assert.equal(end('exited', null, 'SIGUSR1'), 138);
    assert.equal(end('exited', null, 'SIGWINCH'), 156);
    assert.equal(end('exited', -1073741819), 1, 'a negative code is a failure, never a negative exit status');
    assert.equal(end(null, null), 1, 'no code and no signal is a failure');
  });

  it('says in one line how a run ended, naming a needed SIGKILL', () => {
    assert.equal(endDescription(makeRun({ end_reason: 'exited', exit_code: 2 }), null), 'exited with exit code 2');
    assert.equal(endDescription(makeRun({ end_reason: 'exited', exit_code: null, signal: 'SIGSEGV' }), null), 'exited with signal SIGSEGV');
    assert.equal(endDescription(makeRun({ end_reason: 'killed' }), { escalated: true }), 'stopped by FlowForge (needed SIGKILL)');
    assert.equal(endDescription(makeRun({ end_reason: 'restarted' }), { escalated: false }), 'stopped for a restart');
    assert.equal(endDescription(makeRun({ end_reason: 'stopped_by_user' }), null), 'stopped on request');
    assert.equal(endDescription(makeRun({ end_reason: 'supervisor_shutdown' }), null), 'stopped because the supervisor shut down');
  });
});
