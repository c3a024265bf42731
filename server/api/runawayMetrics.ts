// The metrics a team's dashboard is built on: how many runaways each rule
// finds, how long FlowForge takes from the first complaint to stopping one,
// and how often people say an incident was not a runaway (false-stop
// feedback). All three are derived from engine events, so they count what the
// store records and nothing the store does not.
import { Counter, Histogram, type Registry } from 'prom-client';
import type { InterventionEvent } from '../engine/events';
import { NOT_A_RUNAWAY_AUDIT_ACTION } from '../shared/protocol/choices';
import type { Incident, TimelineEvent } from '../shared/protocol/domain';

/** From a memory-limit kill on the first sample (0 s) to a slow cycle detected after many minutes. */
const TIME_TO_ACT_BUCKETS = [0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800];
const TRACKED_MAX = 10_000;
const UNKNOWN_RULE = 'unknown';

export class RunawayMetrics {
  private readonly runaways: Counter<'rule'>;
  private readonly timeToAct: Histogram<'rule' | 'action'>;
  private readonly notARunaway: Counter<'rule'>;
  /** Incidents whose time to act was measured: only FlowForge's first stop of each counts. */
  private readonly acted = new Set<string>();

  constructor(
    registers: Registry[],
    private readonly incidentById: (id: string) => Incident | null,
  ) {
    this.runaways = new Counter({
      name: 'flowforge_runaways_total',
      help: 'Runaway episodes detected (incidents a rule opened), by the rule that opened them.',
      labelNames: ['rule'],
      registers,
    });
    this.timeToAct = new Histogram({
      name: 'flowforge_time_to_act_seconds',
      help: 'Time from the first complaint about a runaway (its incident opening) to FlowForge stopping or restarting it.',
      labelNames: ['rule', 'action'],
      buckets: TIME_TO_ACT_BUCKETS,
      registers,
    });
    this.notARunaway = new Counter({
      name: 'flowforge_not_a_runaway_total',
      help: `"Not a runaway" verdicts given by people (audit action ${NOT_A_RUNAWAY_AUDIT_ACTION}), by the rule of the incident.`,
      labelNames: ['rule'],
      registers,
    });
  }

  onJournal(e: TimelineEvent): void {
    if (e.kind === 'incident') this.onIncident(e.data as unknown as Incident);
    else if (e.kind === 'audit' && e.data.action === NOT_A_RUNAWAY_AUDIT_ACTION) this.notARunaway.inc({ rule: this.ruleOf(e) });
  }

  onIntervention(e: InterventionEvent): void {
    // A kill after the restart budget ran out belongs to the budget's own incident, not to detection.
    if ((e.kind !== 'kill' && e.kind !== 'restart') || !e.incident || !e.snapshot) return;
    if (this.acted.has(e.incident.id)) return;
    if (this.acted.size > TRACKED_MAX) this.acted.clear();
    this.acted.add(e.incident.id);
    const seconds = Math.max(0, e.snapshot.t - e.incident.opened_at) / 1000;
    this.timeToAct.observe({ rule: e.incident.kind, action: e.kind }, seconds);
  }

  /** The journal carries an incident when it opens and when it closes; one that no rule opened (the restart budget's) is not a runaway. */
  private onIncident(i: Incident): void {
    if (i.status === 'open' && i.rules.length > 0) this.runaways.inc({ rule: i.kind });
  }

  private ruleOf(e: TimelineEvent): string {
    const id = e.incident_id ?? (typeof e.data.details === 'object' ? (e.data.details as Record<string, unknown>).incident_id : null);
    return (typeof id === 'string' && this.incidentById(id)?.kind) || UNKNOWN_RULE;
  }
}
