// What a job is asked to run, what it is given to do so, and who asks for
// its stops and restarts.
import type { AgentChannel } from '../agents/agentChannel';
import type { OtlpReceiver } from '../otel/receiver';
import type { EffectiveSettings } from '../policy';
import type { RunSource } from '../shared/protocol/domain';
import type { ProcessSource } from '../supervisor/processTable';
import type { ReaperClient } from '../supervisor/reaper';
import type { Clock } from '../util/clock';
import type { Logger } from '../util/logger';
import type { TypedEmitter } from '../util/typedEmitter';
import type { EngineEvents } from './events';
import type { JudgeFactory } from './judge';
import type { Recorder } from './recorder';
import type { SignatureBook } from './signatureBook';

export interface JobSpec {
  name: string;
  command: string;
  args: string[];
  shell: boolean;
  cwd: string;
  env?: Record<string, string>;
  source: RunSource;
  workspaceId: string | null;
  owner: string | null;
  restartable: boolean;
  settings: EffectiveSettings;
  stdin: 'pipe' | 'ignore';
  requestId?: string | null;
  /** Watch mode: the shell whose descendants are the command (nothing is spawned). */
  watchShellPid?: number;
  /** Where FlowForge writes flowforge-feedback.md when it stops the job: undefined beside it (cwd), null nowhere. */
  feedbackFile?: string | null;
  /** Hand the feedback to the next attempt on stdin too (it always gets FLOWFORGE_FEEDBACK_FILE). */
  injectFeedback?: boolean;
}

export interface JobContext {
  clock: Clock;
  logger: Logger;
  recorder: Recorder;
  events: TypedEmitter<EngineEvents>;
  source: ProcessSource;
  reaper: ReaperClient | null;
  judgeFactory: JudgeFactory;
  baseEnv: NodeJS.ProcessEnv;
  /** Where an agent's hooks reach their run (null: no channel, hooks answer "allow"). */
  agentChannel?: AgentChannel | null;
  /** Where agents send their own telemetry, for runs with agent telemetry (null: not open). */
  otlpReceiver?: OtlpReceiver | null;
  /** Learned signatures (absent: nothing is learned or matched). */
  signatures?: SignatureBook;
}

export interface ActorInfo {
  actor: string;
  reason: string;
  requestId?: string | null;
}

/** The command as a person would type it (quoted where a shell would need it). */
export function displayCommand(spec: JobSpec): string {
  if (spec.shell) return [spec.command, ...spec.args].join(' ');
  return [spec.command, ...spec.args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}
