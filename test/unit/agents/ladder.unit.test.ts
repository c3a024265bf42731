// The tool-call loop signal (four shapes) and the ladder built on it:
// nudge, then block, then stop, each counted in loop calls; an agent that
// listens is left alone, varied work gets nothing.
import { strict as assert } from 'node:assert';
import { toolEvent, type LadderAdvice } from '../../../server/agents/hookTypes';
import { Ladder, type LadderSettings } from '../../../server/agents/ladder';
import { ToolCallSignal } from '../../../server/detect/toolCalls';

const SETTINGS: LadderSettings = { toolLoopCalls: 4, toolBlockAfter: 2, toolStopAfter: 2 };

let clock = 0;
function feed(sig: ToolCallSignal, calls: [string, ('ok' | 'error')?, string?][]) {
  calls.forEach(([key, outcome = 'ok', result = `${key}-result`]) => {
    sig.call({ key, tool: 'Bash', preview: `Bash: ${key}`, t: (clock += 1000) });
    sig.result({ key, outcome, errorTemplate: outcome === 'error' ? `error in ${key}` : null, resultKey: result });
  });
}

describe('tool-call loop signal', () => {
  const sig = () => new ToolCallSignal({ toolLoopCalls: 4 });

  it('repeat: the same call 4 times in a row with the same result', () => {
    const s = sig();
    feed(s, [['ls'], ['cat a'], ['cat a'], ['cat a']]);
    assert.equal(s.reading(), null, '3 in a row is not yet a loop');
    feed(s, [['cat a']]);
    const r = s.reading()!;
    assert.equal(r.kind, 'repeat');
    assert.equal(r.calls, 4);
    assert.match(r.text, /^the same call 4 times in a row: Bash: cat a \(4 calls in 3 s\)$/);
    assert.equal(r.evidence.length, 4);
  });

  it('a poll that sees change is not a loop (same call, different results)', () => {
    const s = sig();
    feed(s, [['curl /health', 'ok', 'starting'], ['curl /health', 'ok', 'starting'], ['curl /health', 'ok', 'warming'], ['curl /health', 'ok', 'up']]);
    assert.equal(s.reading(), null);
  });

  it('alternation: two calls taking turns', () => {
    const s = sig();
    feed(s, [['edit x'], ['test'], ['edit x'], ['test'], ['edit x'], ['test']]);
    const r = s.reading()!;
    assert.equal(r.kind, 'alternation');
    assert.equal(r.calls, 6);
    assert.deepEqual(r.keys.sort(), ['edit x', 'test']);
  });

  it('failing_fix: the same command failing with the same error after each change', () => {
    const s = sig();
    feed(s, [['npm test', 'error'], ['edit a.ts'], ['npm test', 'error'], ['edit b.ts'], ['npm test', 'error']]);
    const r = s.reading()!;
    assert.equal(r.kind, 'failing_fix');
    assert.equal(r.error, 'error in npm test');
    assert.match(r.text, /failed 3 times with the same error/);
  });

  it('no_new: a longer cycle that brings nothing new', () => {
    const s = sig();
    const cycle: [string][] = [['a'], ['b'], ['c']];
    feed(s, [...cycle, ...cycle, ...cycle, ...cycle, ...cycle, ...cycle]);
    const r = s.reading()!;
    assert.equal(r.kind, 'no_new');
    assert.ok(r.calls >= 12);
  });

  it('varied work gives nothing', () => {
    const s = sig();
    feed(s, Array.from({ length: 40 }, (_, i) => [`step ${i % 13} of ${i}`] as [string]));
    assert.equal(s.reading(), null);
  });
});

describe('the ladder: nudge → block → stop', () => {
  const pre = (cmd: string) => toolEvent('claude', 'pre', 'PreToolUse', 'Bash', { command: cmd });
  const post = (cmd: string) => toolEvent('claude', 'post', 'PostToolUse', 'Bash', { command: cmd }, { stdout: 'same', stderr: '' });
  const call = (l: Ladder, cmd: string, t: number): [LadderAdvice, LadderAdvice] => [l.observe(pre(cmd), t), l.observe(post(cmd), t + 10)];

  it('a looping agent is nudged, then refused, then stopped, and each step is reported once', () => {
    const l = new Ladder(SETTINGS);
    const answers = Array.from({ length: 8 }, (_, i) => call(l, 'npm test', i * 1000));
    for (let i = 0; i < 3; i++) assert.deepEqual(answers[i], [{ step: 'none' }, { step: 'none' }], `call ${i + 1}`);
    assert.equal(answers[3]![0].step, 'none', 'the 4th call runs');
    assert.equal(answers[3]![1].step, 'nudge', 'and its result carries the nudge');
    assert.match((answers[3]![1] as { message: string }).message, /noticed a loop: the same call 4 times in a row: Bash: npm test.*try a different approach/);
    assert.equal(answers[4]![0].step, 'none', 'one more loop call is allowed after the nudge');
    assert.equal(answers[5]![0].step, 'block');
    assert.equal(answers[6]![0].step, 'block');
    assert.equal(answers[7]![0].step, 'stop');
    assert.deepEqual(l.takeSteps().map((s) => s.kind), ['nudge', 'block', 'stop']);
    assert.equal(l.observe(pre('anything else'), 9000).step, 'stop', 'once stopped, every answer says stop');
  });

  it('an agent that listens to the nudge is never blocked, and the episode closes after varied calls', () => {
    const l = new Ladder(SETTINGS);
    for (let i = 0; i < 4; i++) call(l, 'npm test', i * 1000);
    const after = Array.from({ length: 6 }, (_, i) => call(l, `cat file${i}.ts`, 10_000 + i * 1000));
    assert.ok(after.every(([a, b]) => a.step === 'none' && b.step === 'none'));
    assert.deepEqual(l.takeSteps().map((s) => s.kind), ['nudge', 'close']);
  });

  it('a refusal applies only to the repeating call; other calls go through', () => {
    const l = new Ladder(SETTINGS);
    for (let i = 0; i < 6; i++) call(l, 'npm test', i * 1000);
    assert.equal(l.observe(pre('git diff'), 7000).step, 'none');
  });

  it('turned off (toolLoopCalls null): never says anything', () => {
    const l = new Ladder({ ...SETTINGS, toolLoopCalls: null });
    for (let i = 0; i < 20; i++) assert.deepEqual(call(l, 'npm test', i), [{ step: 'none' }, { step: 'none' }]);
    assert.deepEqual(l.takeSteps(), []);
  });

  it('blocks turned off: the stop counts from the nudge', () => {
    const l = new Ladder({ ...SETTINGS, toolBlockAfter: null });
    const steps = Array.from({ length: 6 }, (_, i) => call(l, 'npm test', i * 1000)[0].step);
    assert.deepEqual(steps, ['none', 'none', 'none', 'none', 'none', 'stop']);
  });
});
