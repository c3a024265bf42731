// What a job attempt holds of the agent channel: its capability (for the
// job's environment), its session (the ladder), and the ladder's steps as
// verdicts for the job to act on and record. Kept here so that the job only
// opens, asks and closes.
import type { SignalSnapshot } from '../detect/types';
import { canaryBucket, enforce, type Enforcement } from '../policy/rollout';
import type { EffectiveSettings, Verdict } from '../policy/types';
import type { Logger } from '../util/logger';
import type { AgentChannel, ChannelGrant } from './agentChannel';
import { AgentSession } from './agentSession';
import { ladderVerdict } from './ladderVerdict';

export interface AgentLinkHost {
  now(): number;
  protectionOn(): boolean;
  incident(): { id: string; title: string; reason: string } | null;
}

export class AgentLink {
  readonly session: AgentSession;
  private readonly grant: ChannelGrant;
  private readonly bucket: number;

  constructor(channel: AgentChannel, runId: string, private readonly settings: EffectiveSettings, private readonly host: AgentLinkHost, logger: Logger) {
    this.bucket = canaryBucket(runId);
    const th = settings.detection;
    this.session = new AgentSession(
      { toolLoopCalls: th.toolLoopCalls, toolBlockAfter: th.toolBlockAfter, toolStopAfter: th.toolStopAfter },
      {
        runId,
        now: host.now,
        mayAct: () => enforce('kill', this.enforcement()).enforced,
        incident: host.incident,
        logger,
      },
    );
    this.grant = channel.grant(runId, this.session);
  }

  /** FLOWFORGE_AGENT_CHANNEL for the attempt's processes. */
  get capability(): string {
    return this.grant.value;
  }

  /** The ladder's steps since the last tick, as verdicts. */
  verdicts(snap: SignalSnapshot): Verdict[] {
    return this.session.takeSteps().map((step) => ladderVerdict(step, snap, this.settings, this.enforcement()));
  }

  private enforcement(): Enforcement {
    return { rollout: this.settings.rollout, bucket: this.bucket, protection: this.host.protectionOn() };
  }

  /** The run ended: its capability is worthless from now on. */
  close(): void {
    this.grant.revoke();
  }
}
