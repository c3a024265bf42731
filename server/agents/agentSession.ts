// One run's side of the agent channel: hook events in (parsed by the agent's
// protocol module), the ladder's advice out (as the agent's documented
// answer), and the ladder's steps kept for the job to record as decisions.
import type { Logger } from '../util/logger';
import type { RunHookHandler } from './agentChannel';
import { ALLOW, type HookAgent, type HookAnswer } from './hookTypes';
import { Ladder, type LadderSettings, type LadderStep } from './ladder';
import { PROTOCOLS } from './protocols';

export interface SessionHost {
  runId: string;
  now(): number;
  /** False in shadow mode, for a canary run left out, or with protection off: blocks and stops are held back. */
  mayAct(): boolean;
  /** What the run's findings show besides the ladder (its open incident). */
  incident(): { id: string; title: string; reason: string } | null;
  logger: Logger;
}

export class AgentSession implements RunHookHandler {
  readonly ladder: Ladder;
  private readonly counts = { events: 0, malformed: 0, nudges: 0, blocks: 0, stops: 0 };
  private readonly history: { kind: LadderStep['kind']; t: number; message: string }[] = [];
  private readonly pending: LadderStep[] = [];

  constructor(
    settings: LadderSettings,
    private readonly host: SessionHost,
  ) {
    this.ladder = new Ladder(settings);
  }

  hook(agent: HookAgent, raw: string): HookAnswer {
    this.counts.events++;
    const protocol = PROTOCOLS[agent];
    const parsed = protocol.parse(raw);
    if (!parsed.ok) {
      this.counts.malformed++;
      this.host.logger.warn('agent hook input ignored', { run_id: this.host.runId, error: parsed.error });
      return { ...ALLOW, stderr: `flowforge hook: ignored a malformed hook input (${parsed.error}); allowing` };
    }
    let advice = this.ladder.observe(parsed.event, this.host.now());
    for (const step of this.ladder.takeSteps()) {
      this.pending.push(step);
      this.history.push({ kind: step.kind, t: step.t, message: step.message });
    }
    if ((advice.step === 'block' || advice.step === 'stop') && !this.host.mayAct()) advice = { step: 'none' };
    if (advice.step === 'nudge') this.counts.nudges++;
    if (advice.step === 'block') this.counts.blocks++;
    if (advice.step === 'stop') this.counts.stops++;
    return protocol.answer(parsed.event, advice);
  }

  /** Ladder steps not yet recorded (the job turns them into decisions on its next tick). */
  takeSteps(): LadderStep[] {
    return this.pending.splice(0);
  }

  findings(): unknown {
    return {
      run_id: this.host.runId,
      incident: this.host.incident(),
      tool_loop: this.ladder.state,
      steps: this.history,
      answers: { ...this.counts },
    };
  }
}
