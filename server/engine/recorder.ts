// Writes every record to the evidence store and announces it on the engine's
// event bus, in that order, so a listener (the SSE stream, the CLI) always sees
// what is already durable-to-be, with its journal sequence number.
import type {
  AuditEvent,
  Decision,
  Incident,
  Lifecycle,
  LifecycleEvent,
  Run,
  Sample,
  TimelineEvent,
} from '../shared/protocol/domain';
import type { EvidenceStore, JournalNote } from '../store/types';
import type { Clock } from '../util/clock';
import { newId } from '../util/ids';
import type { TypedEmitter } from '../util/typedEmitter';
import type { EngineEvents } from './events';

export class Recorder {
  constructor(
    private readonly store: EvidenceStore,
    private readonly events: TypedEmitter<EngineEvents>,
    private readonly clock: Clock,
  ) {}

  private journal(event: TimelineEvent | null): void {
    if (event) this.events.emit('journal', event);
  }

  run(run: Run, note?: JournalNote): void {
    this.journal(this.store.upsertRun(run, note));
    this.events.emit('run', run);
  }

  sample(sample: Sample): void {
    this.store.addSample(sample);
    this.events.emit('sample', sample);
  }

  decision(decision: Decision): void {
    this.journal(this.store.addDecision(decision));
  }

  incident(incident: Incident, note?: JournalNote): void {
    this.journal(this.store.upsertIncident(incident, note));
    this.events.emit('incident', incident);
  }

  lifecycle(run: Run, phase: Lifecycle, reason: string, requestId: string | null = null): LifecycleEvent {
    const event: LifecycleEvent = {
      id: newId('lc', this.clock.now()),
      t: this.clock.now(),
      run_id: run.id,
      job_id: run.job_id,
      phase,
      previous: run.lifecycle === phase ? null : run.lifecycle,
      reason,
      request_id: requestId,
    };
    run.lifecycle = phase;
    this.journal(this.store.addLifecycle(event));
    return event;
  }

  audit(fields: Omit<AuditEvent, 'id' | 't'>): AuditEvent {
    const event: AuditEvent = { id: newId('aud', this.clock.now()), t: this.clock.now(), ...fields };
    this.journal(this.store.addAudit(event));
    return event;
  }
}
