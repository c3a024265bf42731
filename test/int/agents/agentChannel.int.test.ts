// The per-run capability an agent's hooks use, taken from a real supervised
// job's environment: it reaches only its own run, can post hook events and
// read findings and nothing else (no start, no stop, no other run), carries
// no API key, and is worthless once its run has ended.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import { parseCapability } from '../../../server/agents/hookWire';
import type { JobController } from '../../../server/engine/job';
import { plainJobSpec } from '../../../server/bench/benchJob';
import { resolveSettings } from '../../../server/policy/resolveSettings';
import { REPO, waitFor } from '../../helpers/processes';
import { useEngine } from './engineBox';

interface Reply {
  status: number;
  text: string;
}

function send(capability: string, method: string, path: string, body = ''): Promise<Reply> {
  const cap = parseCapability(capability)!;
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: cap.socketPath, method, path, headers: { authorization: `Bearer ${cap.token}` } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += String(d)));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Runs a hook command without blocking this process (which serves the channel). */
function runHook(cmd: string, args: readonly string[], input: string, capability: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env: { ...process.env, FLOWFORGE_AGENT_CHANNEL: capability } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += String(d)));
    child.stderr.on('data', (d) => (stderr += String(d)));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(input);
  });
}

const PRE = (cmd: string) => JSON.stringify({ session_id: 's', cwd: '/tmp', hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command: cmd }, tool_use_id: 't' });

describe('agent channel: the per-run capability', function () {
  this.timeout(60_000);
  // A key in FlowForge's own environment must never reach the job (or its capability).
  const box = useEngine('ff-chan-', { baseEnv: { ...process.env, FLOWFORGE_API_KEY: 'ffk_secret_should_not_leak' } });

  /** A real job that writes its environment to a file and waits. */
  async function startJob(name: string): Promise<{ job: JobController; capability: string; env: string }> {
    const envFile = join(box.dir, `${name}.env`);
    const job = box.engine.startJob(plainJobSpec(name, `env > '${envFile}'; sleep 30`, [], { shell: true, cwd: box.dir, settings: resolveSettings({}) }));
    const env = await waitFor(() => {
      try {
        const text = readFileSync(envFile, 'utf8');
        return text.includes('FLOWFORGE_AGENT_CHANNEL=') ? text : '';
      } catch {
        return ''; // not written yet
      }
    }, 10_000);
    const capability = /^FLOWFORGE_AGENT_CHANNEL=(.*)$/m.exec(env)![1]!;
    return { job, capability, env };
  }

  it('names one run, reads only that run, and carries no API key', async () => {
    const a = await startJob('job-a');
    const b = await startJob('job-b');
    assert.notEqual(a.capability, b.capability);
    assert.doesNotMatch(a.env, /ffk_secret_should_not_leak|FLOWFORGE_API_KEY/);
    assert.doesNotMatch(a.capability, /ffk_/);
    const sock = parseCapability(a.capability)!.socketPath;
    assert.equal(statSync(dirname(sock)).mode & 0o777, 0o700, 'only the owner may reach the socket');

    const fa = await send(a.capability, 'GET', '/findings');
    assert.equal(fa.status, 200);
    assert.equal(JSON.parse(fa.text).run_id, a.job.currentRun!.id);
    // No way to name another run: a query, a path or B's id all fail.
    for (const path of [`/findings?run_id=${b.job.currentRun!.id}`, `/runs/${b.job.currentRun!.id}`, `/v1/runs/${b.job.currentRun!.id}`, '/v1/runs', '/v1/incidents']) {
      const r = await send(a.capability, 'GET', path);
      assert.equal(r.status, 404, path);
      assert.doesNotMatch(r.text, new RegExp(b.job.currentRun!.id));
    }

    // Events posted with A's capability land in A's run only.
    for (let i = 0; i < 5; i++) assert.equal((await send(a.capability, 'POST', '/hook/claude', PRE('npm test'))).status, 200);
    assert.equal(JSON.parse((await send(a.capability, 'GET', '/findings')).text).tool_loop.calls, 5);
    assert.equal(JSON.parse((await send(b.capability, 'GET', '/findings')).text).tool_loop.calls, 0);
  });

  it('cannot start or stop anything', async () => {
    const a = await startJob('job-a');
    const runId = a.job.currentRun!.id;
    const attempts: [string, string, string][] = [
      ['POST', '/v1/runs', JSON.stringify({ command: 'touch pwned' })],
      ['POST', `/v1/runs/${runId}/stop`, '{}'],
      ['POST', `/v1/runs/${runId}/restart`, '{}'],
      ['POST', '/stop', '{}'],
      ['DELETE', `/runs/${runId}`, ''],
      ['PUT', '/hook/claude', PRE('x')],
      ['POST', '/hook/other-agent', PRE('x')],
    ];
    for (const [method, path, body] of attempts) assert.equal((await send(a.capability, method, path, body)).status, 404, `${method} ${path}`);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(a.job.active, true, 'the job still runs');
    assert.equal(a.job.runs.length, 1, 'nothing was restarted');
    assert.equal(box.engine.activeJobs().length, 1, 'nothing was started');
  });

  it('a wrong token gets nothing', async () => {
    const a = await startJob('job-a');
    const forged = `${parseCapability(a.capability)!.socketPath}#${'A'.repeat(43)}`;
    assert.equal((await send(forged, 'GET', '/findings')).status, 401);
    assert.equal((await send(forged, 'POST', '/hook/claude', PRE('x'))).status, 401);
  });

  it('is worthless once its run has ended, and the hook command then allows', async () => {
    const a = await startJob('job-a');
    assert.equal((await send(a.capability, 'GET', '/findings')).status, 200);
    await a.job.stop({ actor: 'test', reason: 'done' });
    const after = await send(a.capability, 'GET', '/findings');
    assert.equal(after.status, 401);
    assert.match(after.text, /unknown or expired capability/);
    assert.equal((await send(a.capability, 'POST', '/hook/claude', PRE('npm test'))).status, 401);
    for (const [cmd, args] of [
      [join(REPO, 'dist/flowforge-hook'), ['claude']],
      [process.execPath, [join(REPO, 'dist/hook.js'), 'claude']],
    ] as const) {
      const r = await runHook(cmd, args, PRE('npm test'), a.capability);
      assert.equal(r.status, 0);
      assert.deepEqual(JSON.parse(r.stdout), {});
      assert.match(r.stderr, /^flowforge hook: .*; allowing\n$/);
    }
  });

  it('a malformed hook input through the channel gets allow and one clear line', async () => {
    const a = await startJob('job-a');
    for (const [cmd, args] of [
      [join(REPO, 'dist/flowforge-hook'), ['gemini']],
      [process.execPath, [join(REPO, 'dist/hook.js'), 'gemini']],
    ] as const) {
      const r = await runHook(cmd, args, '{"hook_event_name": 42', a.capability);
      assert.equal(r.status, 0);
      assert.deepEqual(JSON.parse(r.stdout), {});
      assert.match(r.stderr, /^flowforge hook: ignored a malformed hook input \(gemini hook input is not JSON .*\); allowing\n$/);
    }
    assert.equal(JSON.parse((await send(a.capability, 'GET', '/findings')).text).answers.malformed, 2);
  });
});
