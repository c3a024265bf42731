// `flowforge agent setup`: merges beside existing hooks, never replaces one,
// is idempotent, and leaves a file it cannot read untouched.
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setupAgent } from '../../../server/agents/agentSetup';
import { UsageError } from '../../../server/util/args';

const CMD = "'/opt/ff/dist/flowforge-hook' claude";

describe('flowforge agent setup', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'ff-setup-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const opts = (write = true) => ({ scope: 'project' as const, cwd: dir, home: join(dir, 'home'), command: CMD, write });

  it('adds Claude hooks beside the existing ones and keeps every other setting', () => {
    const file = join(dir, '.claude/settings.json');
    mkdirSync(join(dir, '.claude'));
    const mine = { matcher: 'Bash', hooks: [{ type: 'command', command: 'python3 check.py' }] };
    writeFileSync(file, JSON.stringify({ model: 'opus', permissions: { allow: ['Bash(npm test)'] }, hooks: { PreToolUse: [mine] } }));
    const res = setupAgent('claude', opts());
    assert.deepEqual(res.added, ['PreToolUse', 'PostToolUse', 'PostToolUseFailure', 'Stop']);
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    assert.equal(saved.model, 'opus');
    assert.deepEqual(saved.permissions, { allow: ['Bash(npm test)'] });
    assert.deepEqual(saved.hooks.PreToolUse[0], mine, 'the user hook stays first and unchanged');
    assert.deepEqual(saved.hooks.PreToolUse[1], { matcher: '*', hooks: [{ type: 'command', command: CMD, timeout: 10 }] });
    assert.deepEqual(saved.hooks.Stop, [{ hooks: [{ type: 'command', command: CMD, timeout: 10 }] }]);
  });

  it('is idempotent: the second run changes nothing', () => {
    setupAgent('gemini', opts());
    const file = join(dir, '.gemini/settings.json');
    const first = readFileSync(file, 'utf8');
    const res = setupAgent('gemini', opts());
    assert.deepEqual(res.added, []);
    assert.deepEqual(res.present, ['BeforeTool', 'AfterTool', 'AfterAgent']);
    assert.equal(readFileSync(file, 'utf8'), first);
    const saved = JSON.parse(first);
    assert.equal(saved.hooks.BeforeTool[0].matcher, '.*');
    assert.equal(saved.hooks.BeforeTool[0].hooks[0].timeout, 10_000, 'Gemini timeouts are milliseconds');
  });

  it('writes Codex hooks.json at user level', () => {
    const res = setupAgent('codex', { ...opts(), scope: 'user' });
    assert.equal(res.path, join(dir, 'home/.codex/hooks.json'));
    const saved = JSON.parse(readFileSync(res.path, 'utf8'));
    assert.deepEqual(Object.keys(saved.hooks), ['PreToolUse', 'PostToolUse', 'Stop']);
    assert.deepEqual(saved.hooks.PostToolUse, [{ hooks: [{ type: 'command', command: CMD, timeout: 10 }] }]);
  });

  it('--print writes nothing', () => {
    const res = setupAgent('claude', opts(false));
    assert.equal(res.added.length, 4);
    assert.equal(existsSync(join(dir, '.claude/settings.json')), false);
  });

  it('refuses to touch a file it cannot read, and loses nothing', () => {
    mkdirSync(join(dir, '.claude'));
    const file = join(dir, '.claude/settings.json');
    writeFileSync(file, '{ "hooks": { oops');
    assert.throws(() => setupAgent('claude', opts()), (e: Error) => e instanceof UsageError && /not valid JSON.*will not overwrite/.test(e.message));
    assert.equal(readFileSync(file, 'utf8'), '{ "hooks": { oops');
    writeFileSync(file, '{ "hooks": { "Stop": {"not": "a list"} } }');
    assert.throws(() => setupAgent('claude', opts()), /hooks.Stop" is not a list/);
  });
});
