import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FOLDER_SETTINGS, readFolderSettings, readWindowSettings, SETTING_KEYS, type FolderSettings } from '../../../src/config';
import { checkTaskDefinition, describeDefinitionProblems, startRunBody, TASK_FIELDS } from '../../../src/tasks/taskDefinition';
import { StartRunBody } from '../../../server/shared/protocol/api';

const manifest = JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8'));
const defaults: FolderSettings = readFolderSettings({ get: () => undefined });

describe('flowforge task definitions', () => {
  it('accepts a full, valid definition and keeps VS Code’s own properties out of the way', () => {
    const r = checkTaskDefinition({ type: 'flowforge', label: 'x', command: 'python3', args: ['a.py'], maxCpu: 90, onRunaway: 'restart', env: { A: '1' }, problemMatcher: [] });
    assert.ok(r.ok);
    assert.equal(r.value.command, 'python3');
    assert.equal(r.value.maxCpu, 90);
  });

  it('names each bad field, what was expected and what was given', () => {
    const r = checkTaskDefinition({ type: 'flowforge', maxCpu: 'lots', args: 'a.py', env: { N: 5 }, profile: 'fast' });
    assert.ok(!r.ok);
    const text = r.problems.join('\n');
    assert.match(text, /"command" is missing\. Expected the program to run/);
    assert.match(text, /"maxCpu" is "lots" \(a string\)\. Expected a number from 1 to 6400/);
    assert.match(text, /"args" is "a\.py" \(a string\)\. Expected the arguments, as an array of strings/);
    assert.match(text, /"env\.N" is 5 \(a number\)/);
    assert.match(text, /"profile" is "fast" \(a string\)\. Expected one of "light", "standard", "strict", "agent"/);
    assert.equal(r.problems.length, 5);
  });

  it('refuses an empty command and out-of-range numbers', () => {
    const r = checkTaskDefinition({ type: 'flowforge', command: '  ', canaryPercent: 120, graceMs: 1.5 });
    assert.ok(!r.ok);
    assert.equal(r.problems.length, 3);
  });

  it('describes the problems with the task name and a working example', () => {
    const lines = describeDefinitionProblems('train', ['"command" is missing.']);
    assert.match(lines[0]!, /cannot run the task "train".*has a problem/);
    assert.ok(lines.some((l) => l.includes('"type": "flowforge"')));
  });

  it('builds the POST /v1/runs body: the task first, then the folder settings', () => {
    const settings = { ...defaults, profile: 'agent' as const, maxCpu: 150, onRunaway: 'alert' as const };
    const r = checkTaskDefinition({ type: 'flowforge', command: 'make', cwd: 'sub', onRunaway: 'restart' });
    assert.ok(r.ok);
    const body = startRunBody(r.value, { folderPath: '/ws', workspaceId: 'vscode-1', settings, taskName: 'build' });
    assert.deepEqual(body, {
      command: 'make', args: [], shell: false, cwd: '/ws/sub', name: 'build', profile: 'agent', max_cpu: 150,
      on_runaway: 'restart', restartable: true, rollout: 'enforce', workspace_id: 'vscode-1',
    });
    const canary = checkTaskDefinition({ type: 'flowforge', command: 'x', cwd: '/abs', rollout: 'canary', profile: 'strict' });
    assert.ok(canary.ok);
    const b2 = startRunBody(canary.value, { folderPath: '/ws', workspaceId: undefined, settings: defaults, taskName: 't' });
    assert.equal(b2.cwd, '/abs');
    assert.equal(b2.profile, 'strict');
    assert.equal(b2.canary_percent, defaults.canaryPercent);
    assert.equal('workspace_id' in b2, false);
  });

  it('carries the agent budgets: the task first, then the folder settings (flowforge.agent.*), validated by the API schema', () => {
    const settings = readFolderSettings({ get: <T,>(k: string) => ({ 'agent.maxCostUsd': 5, 'agent.maxTokensPerMin': 'many' })[k] as T });
    assert.equal(settings.maxCostUsd, 5);
    assert.equal(settings.maxTokensPerMin, null, 'a hand-edited wrong value falls back to none');
    const r = checkTaskDefinition({ type: 'flowforge', command: 'claude', maxTokensPerMin: 40_000 });
    assert.ok(r.ok);
    const body = startRunBody(r.value, { folderPath: '/ws', workspaceId: undefined, settings, taskName: 'agent' });
    assert.equal(body.max_cost_usd, 5);
    assert.equal(body.max_tokens_per_min, 40_000);
    assert.equal(StartRunBody.safeParse(body).success, true);
    const bad = checkTaskDefinition({ type: 'flowforge', command: 'claude', maxCostUsd: 0 });
    assert.ok(!bad.ok);
    assert.match(bad.problems.join('\n'), /"maxCostUsd" is 0 \(a number\)\. Expected a number of US dollars/);
  });

  it('declares in the manifest exactly the properties it checks', () => {
    const def = manifest.contributes.taskDefinitions.find((d: { type: string }) => d.type === 'flowforge');
    assert.deepEqual(Object.keys(def.properties).sort(), Object.keys(TASK_FIELDS).sort());
    // Not `required`: VS Code drops a tasks.json entry that lacks a required property without a word.
    assert.equal(def.required, undefined);
  });
});

describe('settings', () => {
  it('declares in the manifest exactly the settings it reads', () => {
    const declared = Object.keys(manifest.contributes.configuration.properties).map((k) => k.replace(/^flowforge\./, ''));
    assert.deepEqual(declared.sort(), [...SETTING_KEYS].sort());
    for (const [name, s] of Object.entries(FOLDER_SETTINGS)) {
      assert.equal(manifest.contributes.configuration.properties[`flowforge.${s.key}`].scope, 'resource', name);
      assert.deepEqual(manifest.contributes.configuration.properties[`flowforge.${s.key}`].default, s.fallback, name);
    }
  });

  it('falls back to the default for a hand-edited wrong value, and says so', () => {
    const problems: string[] = [];
    const values: Record<string, unknown> = { profile: 'turbo', 'protection.enabled': false, maxCpu: -3, 'api.port': 70000 };
    const cfg = { get: <T>(k: string) => values[k] as T | undefined };
    const s = readFolderSettings(cfg, problems);
    assert.equal(s.profile, 'standard');
    assert.equal(s.protection, false);
    assert.equal(s.maxCpu, null);
    assert.equal(readWindowSettings(cfg, problems).apiPort, 0);
    assert.equal(problems.length, 3);
    assert.match(problems[0]!, /flowforge\.profile has an invalid value "turbo".*using "standard"/);
  });
});
