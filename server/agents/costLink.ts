// What one attempt holds of agent telemetry: its grant on the receiver (the
// endpoint its processes are pointed at) and the meter that turns what
// arrives into the budgets' numbers. The job opens it, the attempt reads it
// each tick, and closing it makes the endpoint refuse further exports.
import type { OtlpReceiver, ReceiverGrant } from '../otel/receiver';
import { receiverEnv } from '../otel/receiverEnv';
import { CostMeter, type AgentUsageReading } from './costMeter';

export class AgentUsageLink {
  private readonly meter: CostMeter;
  private readonly grant: ReceiverGrant;

  constructor(receiver: OtlpReceiver, runId: string, private readonly now: () => number) {
    this.meter = new CostMeter(now());
    this.grant = receiver.grant(runId, (points) => this.meter.observe(points, this.now()));
  }

  /** Applies the attempt's telemetry variables to its environment. */
  applyEnv(env: Record<string, string>): Record<string, string> {
    const { set, unlessSet, unset } = receiverEnv(this.grant);
    for (const k of unset) delete env[k];
    for (const [k, v] of Object.entries(unlessSet)) env[k] ??= v;
    return Object.assign(env, set);
  }

  reading(): AgentUsageReading {
    return this.meter.reading(this.now());
  }

  close(): void {
    this.grant.revoke();
  }
}
