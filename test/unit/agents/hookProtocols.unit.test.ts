// Recorded hook inputs in each agent's documented shape go in; the parsed
// event and every answer are checked field by field against the documented
// output fields.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROTOCOLS } from '../../../server/agents/protocols';
import type { HookAgent, LadderAdvice, ToolEvent } from '../../../server/agents/hookTypes';

const FIX = join(__dirname, '../../fixtures/agents/hooks');
const load = (agent: HookAgent): Record<string, unknown> => JSON.parse(readFileSync(join(FIX, `${agent}.json`), 'utf8'));

const NUDGE: LadderAdvice = { step: 'nudge', message: 'you are looping' };
const BLOCK: LadderAdvice = { step: 'block', reason: 'refused: loop' };
const STOP: LadderAdvice = { step: 'stop', reason: 'stopped: loop' };

function event(agent: HookAgent, name: string): ToolEvent {
  const res = PROTOCOLS[agent].parse(JSON.stringify(load(agent)[name]));
  assert.ok(res.ok, `${agent} ${name}: ${res.ok ? '' : res.error}`);
  return res.event;
}

const out = (agent: HookAgent, ev: ToolEvent, advice: LadderAdvice) => {
  const a = PROTOCOLS[agent].answer(ev, advice);
  assert.equal(a.exitCode, 0, 'every answer is exit 0 with JSON (never exit 2)');
  assert.equal(a.stderr, '');
  return JSON.parse(a.stdout) as Record<string, any>;
};

describe('hook protocols: recorded inputs, field by field', () => {
  const expected = {
    claude: { pre: 'PreToolUse', post: 'PostToolUse', tool: 'Bash', stop: 'Stop' },
    gemini: { pre: 'BeforeTool', post: 'AfterTool', tool: 'run_shell_command', stop: 'AfterAgent' },
    codex: { pre: 'PreToolUse', post: 'PostToolUse', tool: 'Bash', stop: 'Stop' },
  } as const;

  for (const agent of ['claude', 'gemini', 'codex'] as const) {
    describe(agent, () => {
      const x = expected[agent];

      it('parses the pre-tool event: tool, input key, preview', () => {
        const ev = event(agent, 'pre');
        assert.equal(ev.agent, agent);
        assert.equal(ev.phase, 'pre');
        assert.equal(ev.event, x.pre);
        assert.equal(ev.tool, x.tool);
        assert.match(ev.inputKey!, /^[\w-]{16}$/);
        assert.equal(ev.inputPreview, `${x.tool}: npm test`);
        assert.equal(ev.outcome, null);
      });

      it('gives the same call the same key, whatever the order of its fields', () => {
        const raw = load(agent).pre as { tool_input: Record<string, unknown> };
        const reordered = { ...raw, tool_input: Object.fromEntries(Object.entries(raw.tool_input).reverse()) };
        const other = { ...raw, tool_input: { ...raw.tool_input, command: 'npm run build' } };
        const key = (v: unknown) => (PROTOCOLS[agent].parse(JSON.stringify(v)) as { event: ToolEvent }).event.inputKey;
        assert.equal(key(reordered), key(raw));
        assert.notEqual(key(other), key(raw));
      });

      it('parses the post-tool event with its outcome and error template', () => {
        const ev = event(agent, agent === 'claude' ? 'postFailure' : 'post');
        assert.equal(ev.phase, 'post');
        assert.equal(ev.outcome, 'error');
        assert.match(ev.errorTemplate!, /Cannot find module/);
        assert.ok(!/\b12\b/.test(ev.errorTemplate!), `numbers are masked: ${ev.errorTemplate}`);
        assert.match(ev.resultKey!, /^[\w-]{16}$/);
        if (agent === 'claude') assert.equal(event(agent, 'post').outcome, 'ok');
      });

      it('parses the end-of-turn event', () => {
        const ev = event(agent, 'stop');
        assert.equal(ev.phase, 'stop');
        assert.equal(ev.event, x.stop);
        assert.equal(ev.tool, null);
        assert.equal(ev.stopHookActive, agent === 'claude');
      });

      it('answers "allow" with an empty JSON object', () => {
        for (const name of ['pre', 'post', 'stop']) assert.deepEqual(out(agent, event(agent, name), { step: 'none' }), {});
      });

      it('nudges with additionalContext after a tool call (and only there)', () => {
        const post = out(agent, event(agent, 'post'), NUDGE);
        assert.equal(post.hookSpecificOutput.additionalContext, 'you are looping');
        if (agent !== 'gemini') assert.equal(post.hookSpecificOutput.hookEventName, x.post);
        assert.equal(post.continue, undefined);
        assert.equal(post.decision, undefined);
        assert.deepEqual(out(agent, event(agent, 'pre'), NUDGE), {});
        if (agent === 'claude') assert.equal(out(agent, event(agent, 'postFailure'), NUDGE).hookSpecificOutput.hookEventName, 'PostToolUseFailure');
      });

      it('blocks the call about to run, with the reason the model sees', () => {
        const pre = out(agent, event(agent, 'pre'), BLOCK);
        if (agent === 'gemini') {
          assert.deepEqual(pre, { decision: 'deny', reason: 'refused: loop' });
        } else {
          assert.deepEqual(pre, { hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: 'deny', permissionDecisionReason: 'refused: loop' } });
        }
        assert.deepEqual(out(agent, event(agent, 'post'), BLOCK), {}, 'a call that already ran is not refused');
      });

      it('stops the agent loop: continue false + stopReason, and refuses a pending call', () => {
        for (const name of ['pre', 'post', 'stop']) {
          const a = out(agent, event(agent, name), STOP);
          assert.equal(a.continue, false);
          assert.equal(a.stopReason, 'stopped: loop');
        }
        const pre = out(agent, event(agent, 'pre'), STOP);
        if (agent === 'gemini') assert.equal(pre.decision, 'deny');
        else assert.equal(pre.hookSpecificOutput.permissionDecision, 'deny');
      });

      it('rejects malformed input with a clear message, never an exception', () => {
        const cases: [string, RegExp][] = [
          ['not json', new RegExp(`^${agent} hook input is not JSON`)],
          ['[]', /hook input: Invalid input: expected object, received array/],
          ['{"session_id":"x"}', /hook_event_name: Invalid input: expected string, received undefined/],
          [JSON.stringify({ hook_event_name: x.pre }), new RegExp(`${x.pre} without tool_name`)],
          [JSON.stringify({ hook_event_name: x.pre, tool_name: 7 }), /tool_name: Invalid input: expected string, received number/],
        ];
        for (const [raw, msg] of cases) {
          const res = PROTOCOLS[agent].parse(raw);
          assert.equal(res.ok, false, raw);
          assert.match((res as { error: string }).error, msg);
        }
      });

      it('keeps unknown events as "other" and unknown fields as ignored', () => {
        const res = PROTOCOLS[agent].parse(JSON.stringify({ hook_event_name: 'SessionStart', source: 'startup', brand_new_field: { a: 1 } }));
        assert.ok(res.ok);
        assert.equal(res.event.phase, 'other');
      });
    });
  }
});
