// POST /v1/watch lets FlowForge kill a process's descendants: only the admin
// key (the editor that owns the terminal) may ask, and never for the
// supervisor or one of its ancestors (the supervisor would be in its own tree).
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { expectProblem, useTestApi } from './harness';

describe('api: /v1/watch guard', function () {
  const ctx = useTestApi();

  it('a submit key cannot watch, not even its own shell (403); the shell and its command are untouched', async () => {
    const shell = spawn('/bin/sh', ['-c', 'sleep 30 & wait'], { stdio: 'ignore' });
    try {
      const p = expectProblem(await ctx.api.post('/v1/watch', { pid: shell.pid, name: 'sneaky' }, { key: 'submit' }), 403);
      assert.match(p.detail, /admin/);
      assert.equal(ctx.api.engine.activeJobs().length, 0, 'a watch started');
    } finally {
      shell.kill('SIGKILL');
    }
  });

  it('refuses the supervisor itself and each of its ancestors (400 naming body.pid)', async () => {
    // In this test the supervisor runs inside the test process: its parent chain is mocha's.
    const ancestors: number[] = [];
    for (let pid = process.ppid; pid > 1; ) {
      ancestors.push(pid);
      const stat = require('node:fs').readFileSync(`/proc/${pid}/stat`, 'latin1') as string;
      pid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    }
    assert.ok(ancestors.length >= 1);
    for (const pid of [process.pid, ...ancestors]) {
      const p = expectProblem(await ctx.api.post('/v1/watch', { pid, name: 'self' }), 400);
      assert.match(p.detail, /body\.pid/);
      assert.match(p.detail, /supervisor/);
    }
    assert.equal(ctx.api.engine.activeJobs().length, 0, 'a watch started');
  });
});
