// The ladder: how FlowForge steps in on an agent's tool-call loop, the way a
// good colleague would. First a nudge (a short message the agent reads with
// its next tool result: what repeats, for how long, what to try instead),
// then a block (the repeating call is refused with a reason), then a stop
// (the job is stopped, or restarted if the task asks for it). Each step is
// counted in loop calls after the previous one, so an agent that listens is
// never blocked and one that changes course is left alone.
import { ToolCallSignal, type ToolLoopReading } from '../detect/toolCalls';
import type { LadderAdvice, ToolEvent } from './hookTypes';

export interface LadderSettings {
  /** Calls that make a loop (see ToolCallSignal); null turns the ladder off. */
  toolLoopCalls: number | null;
  /** Loop calls after the nudge before the repeating call is refused; null: never. */
  toolBlockAfter: number | null;
  /** Loop calls after the first refusal before the job is stopped; null: never. */
  toolStopAfter: number | null;
}

export type LadderStepKind = 'nudge' | 'block' | 'stop' | 'close';

/** One step up (or the end of the episode), for the incident and the banner. */
export interface LadderStep {
  kind: LadderStepKind;
  t: number;
  reading: ToolLoopReading | null;
  /** What the agent was told (nudge, block, stop), or why the episode ended. */
  message: string;
}

/** Varied calls in a row (no loop shape) that end an episode. */
export const CALM_CALLS = 5;

const TRY_INSTEAD: Record<ToolLoopReading['kind'], string> = {
  repeat: 'Running it again will give the same result. Read that result closely, check your assumptions (paths, versions, the command itself), and try a different approach.',
  alternation: 'Switching back and forth between these two calls is not converging. Stop and work out why each one undoes the other, then make one deliberate change.',
  failing_fix: 'Your changes in between have not touched the cause. Re-read the full error, find the line it points to, and fix that; if you cannot, say so instead of trying again.',
  no_new: 'Nothing new has come out of these calls for a while. Step back, write down what you know, and pick a different next step.',
};

export class Ladder {
  private readonly signal: ToolCallSignal | null;
  private level: 'watching' | 'nudged' | 'blocked' | 'stopped' = 'watching';
  private sinceStep = 0;
  private calm = 0;
  private blocked = new Set<string>();
  private pendingNudge: string | null = null;
  private readonly steps: LadderStep[] = [];
  private current: ToolLoopReading | null = null;

  constructor(private readonly settings: LadderSettings) {
    this.signal = settings.toolLoopCalls === null ? null : new ToolCallSignal({ toolLoopCalls: settings.toolLoopCalls });
  }

  get enabled(): boolean {
    return this.signal !== null;
  }

  /** Where the ladder stands, for the run's findings. */
  get state(): { level: string; loop: ToolLoopReading | null; calls: number } {
    return { level: this.level, loop: this.current, calls: this.signal?.count ?? 0 };
  }

  /** Steps taken since the last call (the job records them as decisions). */
  takeSteps(): LadderStep[] {
    return this.steps.splice(0);
  }

  /** One hook event in, the advice for the agent's answer out. */
  observe(ev: ToolEvent, t: number): LadderAdvice {
    if (!this.signal) return { step: 'none' };
    if (this.level === 'stopped') return { step: 'stop', reason: this.stopReason() };
    if (ev.phase === 'post' && ev.inputKey) {
      this.signal.result({ key: ev.inputKey, outcome: ev.outcome ?? 'ok', errorTemplate: ev.errorTemplate, resultKey: ev.resultKey });
      const message = this.pendingNudge;
      this.pendingNudge = null;
      return message ? { step: 'nudge', message } : { step: 'none' };
    }
    if (ev.phase !== 'pre' || !ev.inputKey || !ev.tool) return { step: 'none' };
    this.signal.call({ key: ev.inputKey, tool: ev.tool, preview: ev.inputPreview ?? ev.tool, t });
    return this.onCall(ev.inputKey, t);
  }

  private onCall(key: string, t: number): LadderAdvice {
    const reading = this.signal!.reading();
    this.current = reading;
    if (!reading) {
      this.sinceStep = 0;
      if (this.level !== 'watching' && ++this.calm >= CALM_CALLS) this.endEpisode(t);
      return { step: 'none' };
    }
    this.calm = 0;
    this.sinceStep++;
    const { toolBlockAfter: blockAfter, toolStopAfter: stopAfter } = this.settings;
    if (this.level === 'watching') {
      this.level = 'nudged';
      this.sinceStep = 0;
      this.pendingNudge = this.nudgeText(reading);
      this.step('nudge', t, reading, this.pendingNudge);
      return { step: 'none' };
    }
    if (this.level === 'nudged' && blockAfter !== null && this.sinceStep >= blockAfter) {
      this.level = 'blocked';
      this.sinceStep = 0;
      this.blocked = new Set(reading.keys);
      const reason = this.blockText(reading);
      this.step('block', t, reading, reason);
      return { step: 'block', reason };
    }
    // With blocks turned off, the stop counts from the nudge.
    if (this.level === 'blocked' || (this.level === 'nudged' && blockAfter === null)) {
      for (const k of reading.keys) this.blocked.add(k);
      if (stopAfter !== null && this.sinceStep >= stopAfter) {
        this.level = 'stopped';
        this.step('stop', t, reading, this.stopReason());
        return { step: 'stop', reason: this.stopReason() };
      }
      if (this.level === 'blocked' && this.blocked.has(key)) return { step: 'block', reason: this.blockText(reading) };
    }
    return { step: 'none' };
  }

  private endEpisode(t: number): void {
    this.step('close', t, null, `the agent moved on: ${CALM_CALLS} varied calls without a loop`);
    this.level = 'watching';
    this.calm = 0;
    this.blocked.clear();
    this.pendingNudge = null;
  }

  private step(kind: LadderStepKind, t: number, reading: ToolLoopReading | null, message: string): void {
    this.steps.push({ kind, t, reading, message });
  }

  private nudgeText(r: ToolLoopReading): string {
    const next = this.settings.toolBlockAfter === null ? '' : ` If it goes on, FlowForge will refuse the repeating call.`;
    return `FlowForge (the supervisor of this job) noticed a loop: ${r.text}. ${TRY_INSTEAD[r.kind]}${next}`;
  }

  private blockText(r: ToolLoopReading): string {
    const next = this.settings.toolStopAfter === null ? '' : ' If the loop goes on, FlowForge will stop this job.';
    return `FlowForge refused this call because it is part of a loop: ${r.text}. It was pointed out before and has not helped. Do something different.${next}`;
  }

  private stopReason(): string {
    const r = this.steps.find((s) => s.kind === 'stop')?.reading ?? this.current;
    return `FlowForge stopped this job: the agent kept looping after a nudge and a block${r ? ` (${r.text})` : ''}.`;
  }
}
