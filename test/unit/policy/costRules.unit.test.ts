// The agent budgets as policy: the meter's readings fed in as data, a verdict
// out, with a fake clock. The ladder (burn alert, then the stop), shadow mode,
// the numbers in the explanation, and how the settings turn it all on.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Detector } from '../../../server/detect/detector';
import { explainVerdict } from '../../../server/policy/explain';
import { PolicyEngine } from '../../../server/policy/policyEngine';
import { resolveSettings } from '../../../server/policy/resolveSettings';
import { SettingsError } from '../../../server/policy/settings';
import type { PolicyOverrides, Verdict } from '../../../server/policy/types';
import { simulateAgentUsage } from '../../helpers/agentUsageSim';

/** The simulated agent's verdicts, with what `flowforge run` would print for each. */
function run(overrides: PolicyOverrides, tokensPerS: number, usdPerS: number, seconds: number): { s: number; v: Verdict; lines: string[] }[] {
  return simulateAgentUsage(overrides, tokensPerS, usdPerS, seconds).map(({ s, v, snap }) => ({ s, v, lines: explainVerdict(v, snap) }));
}

const first = (ticks: ReturnType<typeof run>, action: Verdict['action']) => ticks.find((x) => x.v.action === action) ?? null;

describe('agent budgets (policy)', () => {
  it('stops at the token rate, with the rate, the limit and the model/type breakdown in the explanation', () => {
    // 200 tokens/s: the last minute passes 3000 at 16 s (reports every 2 s).
    const ticks = run({ maxTokensPerMin: 3000 }, 200, 0.001, 30);
    const kill = first(ticks, 'kill')!;
    assert.equal(kill.s, 16);
    assert.equal(first(ticks, 'alert'), null, 'a hard limit stops at once');
    assert.equal(kill.v.episode?.kind, 'token_rate');
    assert.equal(
      kill.lines[0],
      'FlowForge stopped this job: Token rate over the limit — the agent reported 3200 tokens in the last minute, over the limit of 3000 tokens/min (claude-opus-4-1 input 2400, output 800); 3200 tokens and $0.02 in this run.',
    );
    const r = kill.v.signals.find((x) => x.name === 'tokens_per_min')!;
    assert.deepEqual([r.value, r.threshold, r.breached], [3200, 3000, true]);
    assert.match(kill.v.rules.find((x) => x.id === 'token_rate')!.detail, /tokens_per_min 3200 tokens\/min ≥ 3000 tokens\/min/);
  });

  it('under the limit nothing happens, and the readings are still recorded with each decision', () => {
    const ticks = run({ maxTokensPerMin: 3000 }, 40, 0.001, 90);
    assert.equal(ticks.filter((x) => x.v.action !== 'continue').length, 0);
    const last = ticks[ticks.length - 1]!.v;
    assert.equal(last.signals.find((x) => x.name === 'tokens_per_min')!.value, 2400);
    assert.equal(last.signals.find((x) => x.name === 'tokens_per_min')!.breached, false);
  });

  it('the cost ladder: the burn alert first, then the stop when the budget is spent (one incident)', () => {
    // $0.01 a second against a $0.50 budget. Over the first minute the rate is averaged over a whole
    // minute ($0.06 by 6 s reads $3.60/h), so the rest ($0.44) would go in 440 s: inside the 10-minute lead.
    const ticks = run({ maxCostUsd: 0.5 }, 100, 0.01, 60);
    const alert = first(ticks, 'alert')!;
    const kill = first(ticks, 'kill')!;
    assert.equal(alert.s, 6);
    assert.equal(kill.s, 50);
    assert.equal(alert.v.episode?.phase, 'open');
    assert.equal(kill.v.episode?.phase, 'update', 'the stop escalates the same incident');
    assert.equal(
      alert.lines[0],
      'FlowForge alert: Agent spending fast — the agent is spending $3.60/h at its recent rate; $0.06 spent so far (claude-opus-4-1 $0.06); at that rate the $0.50 budget is spent in 7 min.',
    );
    assert.match(kill.lines[0]!, /^FlowForge stopped this job: Cost budget spent — \$0\.50 spent so far \(claude-opus-4-1 \$0\.50\), reaching the budget of \$0\.50, at \$30\.00\/h lately\.$/);
  });

  it('a burn-rate alert on its own (agent profile default $30/h) never stops the job', () => {
    const ticks = run({ profile: 'agent' }, 100, 0.02, 120); // $72/h
    assert.equal(first(ticks, 'kill'), null);
    const alert = first(ticks, 'alert')!;
    assert.match(alert.lines[0]!, /Agent spending fast — the agent is spending \$[\d.]+\/h at its recent rate \(alert at \$30\.00\/h\)/);
    assert.equal(alert.v.signals.find((x) => x.name === 'cost_per_hour')!.threshold, 30);
  });

  it('shadow mode holds the budget stop back and says so', () => {
    const ticks = run({ maxCostUsd: 0.1, shadowMode: true }, 100, 0.01, 30);
    assert.equal(first(ticks, 'kill'), null);
    const held = ticks.find((x) => x.v.intended === 'kill')!;
    assert.match(held.lines[0]!, /^FlowForge would have stopped this job \(shadow mode, nothing was stopped\): Cost budget spent/);
  });

  it('without agent telemetry data the rules never fire, and runs without it record no budget readings', () => {
    const settings = resolveSettings({ maxCostUsd: 1, maxTokensPerMin: 10 });
    const detector = new Detector(settings.detection, 0);
    detector.observeResources({ t: 1000, cpuPercent: null, rssBytes: 1 << 20, procs: 1, spawned: 1, exited: 0 });
    const v = new PolicyEngine(settings, 'r').evaluate(detector.snapshot(1000));
    assert.equal(v.action, 'continue');
    assert.equal(v.signals.some((x) => x.name === 'tokens_per_min'), false);
  });
});

describe('agent telemetry settings', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'ff-costcfg-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('on in the agent profile, off elsewhere unless asked for or a budget needs it', () => {
    assert.equal(resolveSettings({ profile: 'agent' }).agentTelemetry, true);
    assert.equal(resolveSettings({}).agentTelemetry, false);
    assert.equal(resolveSettings({ agentTelemetry: true }).agentTelemetry, true);
    assert.equal(resolveSettings({ profile: 'agent', agentTelemetry: false }).agentTelemetry, false);
    assert.equal(resolveSettings({ maxTokensPerMin: '5000' }).agentTelemetry, true);
    assert.equal(resolveSettings({ maxTokensPerMin: '5000' }).detection.maxTokensPerMin, 5000);
  });

  it('a budget without telemetry, or a bad value, is refused with a message naming the flag', () => {
    assert.throws(() => resolveSettings({ maxCostUsd: '5', agentTelemetry: false }), (e: unknown) => e instanceof SettingsError && /need agent telemetry/.test(e.message));
    assert.throws(() => resolveSettings({ maxCostUsd: 'lots' }), /--max-cost-usd must be a number between 0.01 and 1000000 \(or null for none\) \(got 'lots'\)/);
  });

  it('the config file sets them at the top level or under thresholds; flags win', () => {
    const p = join(dir, 'budget.yaml');
    writeFileSync(p, 'agentTelemetry: true\nmaxCostUsd: 12.5\nmaxTokensPerMin: 40000\nthresholds:\n  maxBurnUsdPerHour: 8\n  costBudgetAlertS: 300\n');
    const s = resolveSettings({ configFile: p, maxTokensPerMin: '20000' });
    assert.equal(s.agentTelemetry, true);
    assert.equal(s.detection.maxCostUsd, 12.5);
    assert.equal(s.detection.maxTokensPerMin, 20000);
    assert.equal(s.detection.maxBurnUsdPerHour, 8);
    assert.equal(s.detection.costBudgetAlertS, 300);
    writeFileSync(p, 'maxCostUSD: 3\n');
    assert.throws(() => resolveSettings({ configFile: p }), /unknown key 'maxCostUSD' \(did you mean 'maxCostUsd'\?\)/);
  });
});
