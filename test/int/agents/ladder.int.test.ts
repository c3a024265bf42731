// The ladder end to end: a scripted agent runs as a real supervised job and
// calls the real hook command on every tool call, in each agent's documented
// protocol. A looping agent that ignores FlowForge is nudged, then refused,
// then stopped, with all three steps as decisions of ONE incident and a
// banner for each; a healthy agent with varied calls gets nothing.
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import type { InterventionEvent, JobOutcome } from '../../../server/engine/events';
import { plainJobSpec } from '../../../server/bench/benchJob';
import { FIXTURES, REPO } from '../../helpers/processes';
import { useEngine } from './engineBox';

const SIM = join(FIXTURES, 'agents', 'simAgent.js');

describe('agent ladder: nudge → block → stop in a real supervised job', function () {
  this.timeout(90_000);
  const box = useEngine('ff-ladder-');
  let banners: InterventionEvent[];
  beforeEach(() => {
    banners = [];
    box.engine.events.on('intervention', (e) => banners.push(e));
  });

  async function runSim(agent: string, simArgs: string[]): Promise<{ outcome: JobOutcome; output: string }> {
    let output = '';
    // In the test's own folder: a stop writes flowforge-feedback.md beside the job, never into the checkout.
    const job = box.engine.startJob(plainJobSpec(`sim-${agent}`, process.execPath, [SIM, `--agent=${agent}`, ...simArgs], { cwd: box.dir, env: { FLOWFORGE_HOOK: join(REPO, 'dist/flowforge-hook') } }));
    box.engine.events.on('output', (o) => {
      if (o.job_id === job.jobId) output += o.chunk.toString();
    });
    return { outcome: await job.whenEnded(), output };
  }

  for (const agent of ['claude', 'gemini', 'codex']) {
    it(`${agent}: a looping agent that never listens is nudged, refused, then stopped — one incident, three decisions`, async () => {
      const { outcome, output } = await runSim(agent, ['--mode=loop', '--listen=0', '--call-ms=10']);
      const events = output.trim().split('\n').map((l) => JSON.parse(l) as { ev: string });
      const kinds = events.map((e) => e.ev);
      assert.ok(kinds.includes('nudged'), kinds.join(','));
      assert.equal(kinds.filter((k) => k === 'blocked').length, 2, 'the repeating call was refused twice');
      assert.ok(kinds.indexOf('nudged') < kinds.indexOf('blocked') && kinds.indexOf('blocked') < kinds.indexOf('halted'));
      assert.equal(outcome.outcome, 'killed', 'FlowForge stopped the job');
      assert.equal(outcome.incident_ids.length, 1, 'one incident for the whole episode');

      const inc = box.store.getIncident(outcome.incident_ids[0]!)!;
      assert.equal(inc.kind, 'tool_loop');
      assert.equal(inc.title, 'Tool-call loop');
      assert.equal(inc.action, 'kill');
      const decisions = box.store.decisionsForRun(outcome.run_id).filter((d) => d.incident_id === inc.id).sort((a, b) => a.t - b.t);
      assert.deepEqual(decisions.map((d) => d.action), ['nudge', 'block', 'kill']);
      assert.match(decisions[0]!.reason, /^Tool-call loop: the same call 4 times in a row: .*npm test.*Nudged the agent: "FlowForge \(the supervisor of this job\) noticed a loop/);
      assert.match(decisions[1]!.reason, /Refused the repeating call: "FlowForge refused this call/);
      assert.match(decisions[2]!.reason, /Stopping the agent: "FlowForge stopped this job/);
      for (const d of decisions) {
        assert.equal(d.rules[0]!.id, 'tool_loop');
        assert.equal(d.rules[0]!.fired, true);
        assert.match(d.rules[0]!.detail, /tool_loop_calls \d+ ≥ 4/);
        assert.ok(d.evidence.some((e) => /npm test → error: Error: Cannot find module/.test(e)), d.evidence.join(' | '));
      }
      // The terminal banner (and the extension's notification) for each step.
      assert.deepEqual(banners.map((b) => b.kind), ['alert', 'alert', 'kill']);
      assert.ok(banners.every((b) => b.incident?.id === inc.id));
      assert.match(banners[2]!.explanation[0]!, /^FlowForge stopped this job: Tool-call loop — /);
    });
  }

  for (const agent of ['claude', 'gemini', 'codex']) {
    it(`${agent}: a healthy agent making varied calls gets nothing`, async () => {
      const { outcome, output } = await runSim(agent, ['--mode=healthy', '--work=14', '--call-ms=10']);
      const summary = JSON.parse(output.trim().split('\n').pop()!) as { outcome: string; calls: number };
      assert.equal(summary.outcome, 'finished');
      assert.equal(summary.calls, 14);
      assert.equal(outcome.outcome, 'exited');
      assert.equal(outcome.exit_code, 0);
      assert.deepEqual(outcome.incident_ids, []);
      assert.deepEqual(banners, []);
      assert.ok(!/nudged|blocked|halted/.test(output));
    });
  }

  it('an agent that listens to the nudge is neither refused nor stopped (the incident closes)', async () => {
    const { outcome, output } = await runSim('claude', ['--mode=loop', '--listen=1', '--work=10', '--call-ms=10']);
    assert.match(output, /"ev":"loop_end","t":\d+,"by":"nudge"/);
    assert.ok(!/"ev":"(blocked|halted)"/.test(output), output);
    assert.equal(outcome.outcome, 'exited');
    assert.equal(outcome.exit_code, 0);
    const decisions = box.store.decisionsForRun(outcome.run_id).filter((d) => d.rules[0]?.id === 'tool_loop');
    assert.equal(decisions.filter((d) => d.action !== 'continue').length, 1, 'only the nudge');
  });
});
