import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { profileThresholds } from '../../../server/policy/profiles';
import { resolveSettings } from '../../../server/policy/resolveSettings';
import { didYouMean, SettingsError } from '../../../server/policy/settings';

describe('resolveSettings', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'ff-settings-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  const fails = (fn: () => unknown, message: string | RegExp) =>
    assert.throws(fn, (e: unknown) => {
      assert.ok(e instanceof SettingsError, String(e));
      if (typeof message === 'string') assert.equal(e.message, message);
      else assert.match(e.message, message);
      return true;
    });

  it('defaults: standard profile, kill on runaway, enforce, 3 s grace, 1 s sampling, 3 restarts in 300 s', () => {
    const s = resolveSettings({});
    assert.equal(s.profile, 'standard');
    assert.deepEqual(s.detection, profileThresholds('standard'));
    assert.equal(s.onRunaway, 'kill');
    assert.deepEqual(s.rollout, { mode: 'enforce', canaryPercent: 0 });
    assert.equal(s.graceMs, 3000);
    assert.equal(s.sampleIntervalMs, 1000);
    assert.deepEqual(s.restart, { initialDelayMs: 1000, factor: 2, maxDelayMs: 60000, resetAfterMs: 300000, budget: 3, budgetWindowMs: 300000 });
    assert.equal(s.configFile, null);
  });

  it('profile defaults < config file < flags (YAML)', () => {
    const cfg = file(
      'ff.yaml',
      'profile: strict\nmaxCpu: 70\nonRunaway: restart\ngraceMs: 500\nthresholds:\n  loopKillMs: 9000\n  maxCpu: 65\nrestart:\n  budget: 5\n',
    );
    const s = resolveSettings({ configFile: cfg, maxCpu: '80', profile: 'agent' });
    assert.equal(s.profile, 'agent');
    assert.equal(s.detection.maxCpu, 80, 'the flag wins');
    assert.equal(s.detection.loopKillMs, 9000, 'the file beats the profile');
    assert.equal(s.detection.silentSpinKillMs, profileThresholds('agent').silentSpinKillMs);
    assert.equal(s.onRunaway, 'restart');
    assert.equal(s.graceMs, 500);
    assert.equal(s.restart.budget, 5);
    assert.equal(s.configFile, cfg);
    assert.equal(resolveSettings({ configFile: cfg }).detection.maxCpu, 70, 'top-level maxCpu beats thresholds.maxCpu');
  });

  it('reads JSON config files and null as "no memory limit"', () => {
    const cfg = file('ff.json', JSON.stringify({ maxMemoryMb: 512, rollout: 'canary' }));
    const s = resolveSettings({ configFile: cfg });
    assert.equal(s.detection.maxMemoryMb, 512);
    assert.deepEqual(s.rollout, { mode: 'canary', canaryPercent: 10 }, 'canary defaults to 10%');
    const off = file('off.json', JSON.stringify({ thresholds: { maxMemoryMb: null, outputLoopKillMs: null } }));
    assert.equal(resolveSettings({ configFile: off, maxMemoryMb: 100 }).detection.maxMemoryMb, 100);
    assert.equal(resolveSettings({ configFile: off }).detection.outputLoopKillMs, null);
  });

  it('--shadow-mode turns enforce into shadow but leaves an explicit canary alone', () => {
    assert.equal(resolveSettings({ shadowMode: true }).rollout.mode, 'shadow');
    assert.deepEqual(resolveSettings({ shadowMode: true, rollout: 'canary', canaryPercent: 0 }).rollout, { mode: 'canary', canaryPercent: 0 });
  });

  it('names an unknown key and suggests the right one', () => {
    fails(
      () => resolveSettings({ configFile: file('x.yaml', 'max_cpu: 80\n') }),
      `config file ${join(dir, 'x.yaml')}: unknown key 'max_cpu' (did you mean 'maxCpu'?)`,
    );
    fails(
      () => resolveSettings({ configFile: file('y.yaml', 'thresholds:\n  loop-kill-ms: 1\n  bogus: 2\n') }),
      /unknown key 'thresholds\.loop-kill-ms' \(did you mean 'thresholds\.loopKillMs'\?\); unknown key 'thresholds\.bogus'$/,
    );
  });

  it('says what a valid value looks like and what it got', () => {
    fails(() => resolveSettings({ configFile: file('v.yaml', 'maxCpu: lots\n') }), /'maxCpu' must be a number between 1 and 6400 \(got 'lots'\)$/);
    fails(() => resolveSettings({ configFile: file('w.yaml', 'onRunaway: explode\n') }), /'onRunaway' must be one of 'alert', 'kill', 'restart' \(got 'explode'\)$/);
    fails(() => resolveSettings({ configFile: file('z.yaml', 'thresholds:\n  loopKillMs: 1.5\n') }), /'thresholds\.loopKillMs' must be a whole number between 0 and 86400000 \(or null for none\) \(got 1\.5\)$/);
    fails(() => resolveSettings({ maxCpu: 'abc' }), "--max-cpu must be a number between 1 and 6400 (got 'abc')");
    fails(() => resolveSettings({ maxCpu: 0 }), '--max-cpu must be a number between 1 and 6400 (got 0)');
    fails(() => resolveSettings({ canaryPercent: '150' }), "--policy-canary-percent must be a number between 0 and 100 (got '150')");
    fails(() => resolveSettings({ graceMs: '1.5' }), "--grace-ms must be a whole number between 0 and 600000 (got '1.5')");
    fails(() => resolveSettings({ profile: 'turbo' as never }), "--profile must be one of 'light', 'standard', 'strict', 'agent' (got 'turbo')");
  });

  it('explains unreadable, unparsable and wrongly shaped files', () => {
    fails(() => resolveSettings({ configFile: join(dir, 'missing.yaml') }), `config file ${join(dir, 'missing.yaml')}: not found`);
    fails(() => resolveSettings({ configFile: file('c.toml', 'a = 1') }), /unknown format '\.toml'; use a \.yaml, \.yml or \.json file$/);
    fails(() => resolveSettings({ configFile: file('bad.json', '{"maxCpu": ') }), /: not valid JSON: /);
    fails(() => resolveSettings({ configFile: file('bad.yaml', 'a: [1, 2\n') }), /: not valid YAML: /);
    fails(() => resolveSettings({ configFile: file('list.yaml', '- 1\n- 2\n') }), /expected a mapping of settings .*got a list$/);
    fails(
      () => resolveSettings({ configFile: file('conf.yaml', 'thresholds:\n  alertConfidence: 0.9\n  killConfidence: 0.7\n') }),
      'thresholds: killConfidence (0.7) must not be below alertConfidence (0.9)',
    );
    assert.equal(resolveSettings({ configFile: file('empty.yaml', '') }).profile, 'standard');
  });

  it('didYouMean ignores case and separators and stays quiet when nothing is close', () => {
    assert.equal(didYouMean('MAX-MEMORY-MB', ['maxCpu', 'maxMemoryMb']), 'maxMemoryMb');
    assert.equal(didYouMean('maxCpus', ['maxCpu', 'graceMs']), 'maxCpu');
    assert.equal(didYouMean('colour', ['maxCpu', 'graceMs']), null);
  });
});
