// `flowforge hook` outside FlowForge, and when its channel is gone: every
// entry point (the CLI, the hook bundle, the shell launcher) answers "allow"
// with exit 0, never a failure that would block the agent.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from '../../helpers/processes';

const FIX = join(REPO, 'test/fixtures/agents/hooks');
const ENTRY_POINTS: [string, string, string[]][] = [
  ['flowforge hook (CLI)', process.execPath, [join(REPO, 'dist/cli.js'), 'hook']],
  ['dist/hook.js', process.execPath, [join(REPO, 'dist/hook.js')]],
  ['dist/flowforge-hook (sh)', join(REPO, 'dist/flowforge-hook'), []],
];

function run(cmd: string, args: string[], input: string, env: Record<string, string> = {}) {
  const { FLOWFORGE_AGENT_CHANNEL: _drop, ...base } = process.env;
  const r = spawnSync(cmd, args, { input, env: { ...base, ...env }, encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('flowforge hook without FlowForge around', function () {
  this.timeout(60_000);
  before(() => {
    if (spawnSync(process.execPath, ['scripts/build.mjs', '--quiet'], { cwd: REPO, stdio: 'inherit' }).status !== 0) throw new Error('build failed');
  });

  for (const [name, cmd, args] of ENTRY_POINTS) {
    it(`${name}: answers allow for every agent's recorded inputs`, () => {
      for (const agent of ['claude', 'gemini', 'codex']) {
        const rec = JSON.parse(readFileSync(join(FIX, `${agent}.json`), 'utf8')) as Record<string, unknown>;
        for (const ev of ['pre', 'post', 'stop']) {
          const r = run(cmd, [...args, agent], JSON.stringify(rec[ev]));
          assert.equal(r.code, 0, `${agent} ${ev}: ${r.stderr}`);
          assert.deepEqual(JSON.parse(r.stdout), {});
          assert.equal(r.stderr, '');
        }
      }
    });

    it(`${name}: malformed input or an unknown agent still gets allow, with one clear stderr line`, () => {
      const bad = run(cmd, [...args, 'cursor'], 'not json at all');
      assert.equal(bad.code, 0);
      assert.deepEqual(JSON.parse(bad.stdout), {});
      assert.match(bad.stderr, /^flowforge hook: unknown agent 'cursor' \(use claude, gemini or codex\); allowing\n$/);
    });

    it(`${name}: a channel that is gone (run ended, FlowForge exited) gives allow and says so`, () => {
      const r = run(cmd, [...args, 'claude'], '{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{}}', {
        FLOWFORGE_AGENT_CHANNEL: '/nonexistent/ff/agent.sock#abc',
      });
      assert.equal(r.code, 0);
      assert.deepEqual(JSON.parse(r.stdout), {});
      assert.match(r.stderr, /^flowforge hook: .*(unreachable|did not answer).*; allowing\n$/);
    });
  }
});
