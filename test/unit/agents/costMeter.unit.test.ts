import { strict as assert } from 'node:assert';
import { CostMeter, TOKEN_WINDOW_MS } from '../../../server/agents/costMeter';
import type { MetricPoint, Temporality } from '../../../server/otel/receiverDecode';

const T0 = 1_000_000;

function tokens(value: number, temporality: Temporality, opts: { type?: string; startMs?: number; timeMs?: number; model?: string; session?: string } = {}): MetricPoint {
  return {
    name: 'claude_code.token.usage',
    kind: 'sum',
    temporality,
    value,
    startMs: opts.startMs ?? 500,
    timeMs: opts.timeMs ?? 0,
    attributes: { type: opts.type ?? 'input', model: opts.model ?? 'claude-sonnet-4-5', 'resource.session.id': opts.session ?? 's1' },
  };
}

const cost = (value: number, temporality: Temporality, startMs = 500): MetricPoint => ({
  name: 'claude_code.cost.usage',
  kind: 'sum',
  temporality,
  value,
  startMs,
  timeMs: 0,
  attributes: { model: 'claude-opus-4-1' },
});

describe('CostMeter', () => {
  it('adds delta exports as they come', () => {
    const m = new CostMeter(T0);
    m.observe([tokens(100, 'delta'), tokens(40, 'delta', { type: 'output' })], T0 + 1000);
    m.observe([tokens(60, 'delta')], T0 + 3000);
    const r = m.reading(T0 + 3000);
    assert.equal(r.tokensPerMin, 200);
    assert.equal(r.tokensTotal, 200);
    assert.deepEqual(r.recentByKind[0], { model: 'claude-sonnet-4-5', type: 'input', tokens: 160 });
    assert.deepEqual(r.recentByKind[1], { model: 'claude-sonnet-4-5', type: 'output', tokens: 40 });
  });

  it('counts a cumulative series by its growth between exports', () => {
    const m = new CostMeter(T0);
    m.observe([tokens(100, 'cumulative', { timeMs: 1 })], T0 + 1000);
    m.observe([tokens(250, 'cumulative', { timeMs: 2 })], T0 + 3000);
    m.observe([tokens(250, 'cumulative', { timeMs: 3 })], T0 + 5000); // nothing new
    assert.equal(m.reading(T0 + 5000).tokensTotal, 250);
  });

  it('treats a new start time or a smaller value as a restarted counter (the new value counts whole)', () => {
    const m = new CostMeter(T0);
    m.observe([tokens(1000, 'cumulative', { startMs: 500, timeMs: 1 })], T0 + 1000);
    m.observe([tokens(300, 'cumulative', { startMs: 900, timeMs: 2 })], T0 + 2000); // restarted, start moved
    m.observe([tokens(350, 'cumulative', { startMs: 900, timeMs: 3 })], T0 + 3000);
    m.observe([tokens(20, 'cumulative', { startMs: 900, timeMs: 4 })], T0 + 4000); // went down: restarted, same start
    assert.equal(m.reading(T0 + 4000).tokensTotal, 1000 + 300 + 50 + 20);
  });

  it('ignores a stale cumulative export (a retry arriving late)', () => {
    const m = new CostMeter(T0);
    m.observe([tokens(100, 'cumulative', { timeMs: 10 })], T0 + 1000);
    m.observe([tokens(200, 'cumulative', { timeMs: 20 })], T0 + 2000);
    m.observe([tokens(100, 'cumulative', { timeMs: 10 })], T0 + 2500);
    m.observe([tokens(260, 'cumulative', { timeMs: 30 })], T0 + 3000);
    assert.equal(m.reading(T0 + 3000).tokensTotal, 260);
  });

  it('keeps two agent processes (two sessions) apart', () => {
    const m = new CostMeter(T0);
    m.observe([tokens(100, 'cumulative', { session: 'a' }), tokens(500, 'cumulative', { session: 'b' })], T0 + 1000);
    m.observe([tokens(150, 'cumulative', { session: 'a' }), tokens(520, 'cumulative', { session: 'b' })], T0 + 2000);
    assert.equal(m.reading(T0 + 2000).tokensTotal, 670);
  });

  it('counts tokens per minute over a sliding window', () => {
    const m = new CostMeter(T0);
    for (let s = 0; s < 120; s += 2) m.observe([tokens(1000, 'delta')], T0 + s * 1000);
    // 1000 tokens every 2 s: 30 exports in the last minute, whatever the run's age.
    assert.equal(m.reading(T0 + 118_000).tokensPerMin, 30_000);
    // Nothing after: the window empties as it slides.
    assert.equal(m.reading(T0 + 118_000 + TOKEN_WINDOW_MS / 2).tokensPerMin, 15_000);
    assert.equal(m.reading(T0 + 118_000 + TOKEN_WINDOW_MS).tokensPerMin, 0);
    assert.equal(m.reading(T0 + 118_000 + TOKEN_WINDOW_MS).tokensTotal, 60_000);
  });

  it('reports cost so far and the cost per hour at the recent rate', () => {
    const m = new CostMeter(T0);
    assert.equal(m.reading(T0).costPerHourUsd, null);
    // $0.10 a minute for 10 minutes, cumulative.
    for (let min = 1; min <= 10; min++) m.observe([cost(0.1 * min, 'cumulative')], T0 + min * 60_000);
    const r = m.reading(T0 + 10 * 60_000);
    assert.ok(Math.abs(r.costUsd - 1) < 1e-9);
    assert.ok(Math.abs(r.costPerHourUsd! - 6) < 0.2, `burn ${r.costPerHourUsd}`);
    assert.equal(r.costByModel[0]!.model, 'claude-opus-4-1');
  });

  it('does not turn one early request into an hourly rate', () => {
    const m = new CostMeter(T0);
    m.observe([cost(0.5, 'delta')], T0 + 5000);
    // Over at least a minute: $0.50 in the first 5 s reads as $30/h, not $360/h.
    assert.ok(Math.abs(m.reading(T0 + 5000).costPerHourUsd! - 30) < 1e-9);
  });

  it('ignores other metrics, gauges and a Codex per-type point (only its total counts)', () => {
    const m = new CostMeter(T0);
    const codex = (type: string, value: number): MetricPoint => ({ name: 'codex.turn.token_usage', kind: 'histogram', temporality: 'delta', value, startMs: 1, timeMs: 1, attributes: { token_type: type, model: 'gpt-5' } });
    m.observe(
      [
        { ...tokens(5, 'delta'), name: 'claude_code.session.count' },
        { ...tokens(99, 'delta'), kind: 'gauge' },
        codex('input', 900),
        codex('output', 100),
        codex('total', 1000),
      ],
      T0 + 1000,
    );
    const r = m.reading(T0 + 1000);
    assert.equal(r.tokensTotal, 1000);
    assert.equal(r.points, 5);
  });

  it("counts Gemini CLI's input, output, thought and tool tokens, not its cached ones (already inside input)", () => {
    const m = new CostMeter(T0);
    const gemini = (type: string, value: number): MetricPoint => ({ name: 'gemini_cli.token.usage', kind: 'sum', temporality: 'cumulative', value, startMs: 1, timeMs: 1, attributes: { type, model: 'gemini-2.5-pro' } });
    m.observe([gemini('input', 800), gemini('cache', 500), gemini('output', 100), gemini('thought', 60), gemini('tool', 40)], T0 + 1000);
    assert.equal(m.reading(T0 + 1000).tokensTotal, 1000);
  });
});
