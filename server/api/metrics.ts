// Prometheus metrics of one API instance (its own Registry; nothing global).
// Engine metrics are derived from the engine's events: stop latency is
// STOPPING → STOPPED of a run; restart latency is that stop plus STARTING →
// RUNNING of the next attempt (the backoff wait in between is policy, not
// slowness, and is left out).
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Engine } from '../engine/engine';
import type { InterventionEvent } from '../engine/events';
import type { LifecycleEvent, TimelineEvent } from '../shared/protocol/domain';
import { Lifecycle } from '../shared/protocol/domain';
import type { EvidenceStore } from '../store/types';
import type { Clock } from '../util/clock';
import { RunawayMetrics } from './runawayMetrics';

export const STOP_SLO_SECONDS = 3;
export const RESTART_SLO_SECONDS = 5;
const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 4, 5, 7.5, 10, 20, 30, 60];
const TRACKED_MAX = 10_000;

interface SloBook {
  total: number;
  within: number;
}

export interface MetricsSources {
  engine: Engine;
  store: EvidenceStore;
  clock: Clock;
  sseClients: () => number;
}

export class ApiMetrics {
  readonly registry = new Registry();
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route'>;
  readonly authFailures: Counter<'reason'>;
  readonly idempotency: Counter<'outcome'>;
  readonly budgetBlocks: Counter<'source'>;
  readonly pageCache: Counter<'result'>;
  private readonly stopLatency: Histogram;
  private readonly restartLatency: Histogram;
  private readonly incidents: Counter<'kind'>;
  private readonly interventions: Counter<'kind'>;
  private readonly actions: Counter<'action' | 'actor'>;
  private readonly runaways: RunawayMetrics;
  private readonly stopSlo: SloBook = { total: 0, within: 0 };
  private readonly restartSlo: SloBook = { total: 0, within: 0 };
  private readonly stopping = new Map<string, number>();
  private readonly lastStopMs = new Map<string, number>();
  private readonly starting = new Map<string, { t: number; restart: boolean }>();

  constructor(private readonly src: MetricsSources) {
    const registers = [this.registry];
    const r = { registers };
    this.httpRequests = new Counter({ name: 'flowforge_http_requests_total', help: 'API requests by route template and status.', labelNames: ['method', 'route', 'status'], ...r });
    this.httpDuration = new Histogram({
      name: 'flowforge_http_request_duration_seconds',
      help: 'API request handling time (streams: until the headers are sent).',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      ...r,
    });
    this.authFailures = new Counter({ name: 'flowforge_auth_failures_total', help: 'Rejected credentials (missing, invalid, throttled).', labelNames: ['reason'], ...r });
    this.idempotency = new Counter({ name: 'flowforge_idempotency_total', help: 'Idempotency-Key outcomes (replay, conflict).', labelNames: ['outcome'], ...r });
    this.budgetBlocks = new Counter({ name: 'flowforge_restart_budget_blocks_total', help: 'Restarts refused because the restart budget was spent.', labelNames: ['source'], ...r });
    this.pageCache = new Counter({ name: 'flowforge_page_cache_total', help: 'Paginated list answers served from the page cache (hit) or built (miss).', labelNames: ['result'], ...r });
    this.stopLatency = new Histogram({ name: 'flowforge_stop_latency_seconds', help: 'Time from STOPPING to STOPPED of a run.', buckets: LATENCY_BUCKETS, ...r });
    this.restartLatency = new Histogram({
      name: 'flowforge_restart_latency_seconds',
      help: 'Time to stop a run plus time until its next attempt runs (backoff wait excluded).',
      buckets: LATENCY_BUCKETS,
      ...r,
    });
    this.incidents = new Counter({ name: 'flowforge_incidents_total', help: 'Incidents opened, by kind.', labelNames: ['kind'], ...r });
    this.interventions = new Counter({ name: 'flowforge_interventions_total', help: 'Times FlowForge stepped in, by kind (alert, kill, restart, held, budget_spent).', labelNames: ['kind'], ...r });
    this.actions = new Counter({ name: 'flowforge_actions_total', help: 'Audited actions, by action and kind of actor.', labelNames: ['action', 'actor'], ...r });
    this.runaways = new RunawayMetrics(registers, (id) => src.store.getIncident(id));
    this.gauges(r);
  }

  /** Subscribes to the engine; returns the unsubscribe. */
  attach(): () => void {
    const { events } = this.src.engine;
    const offs = [
      events.on('journal', (e) => this.onJournal(e)),
      events.on('intervention', (e: InterventionEvent) => {
        this.interventions.inc({ kind: e.kind });
        this.runaways.onIntervention(e);
        if (e.kind === 'budget_spent') this.budgetBlocks.inc({ source: 'policy' });
      }),
    ];
    return () => offs.forEach((off) => off());
  }

  private gauges(r: { registers: Registry[] }): void {
    const { engine, store, clock } = this.src;
    new Gauge({ name: 'flowforge_uptime_seconds', help: 'Seconds since the supervisor started.', ...r, collect() {
      this.set((clock.now() - engine.startedAt) / 1000);
    } });
    new Gauge({ name: 'flowforge_runs', help: 'Runs of active jobs by lifecycle state.', labelNames: ['state'], ...r, collect() {
      const counts = new Map<string, number>(Lifecycle.options.map((s) => [s, 0]));
      for (const job of engine.activeJobs()) {
        const state = job.currentRun?.lifecycle;
        if (state) counts.set(state, (counts.get(state) ?? 0) + 1);
      }
      for (const [state, n] of counts) this.set({ state }, n);
    } });
    const ratio = (book: SloBook) => (book.total === 0 ? 1 : book.within / book.total);
    const stopSlo = this.stopSlo;
    const restartSlo = this.restartSlo;
    new Gauge({ name: 'flowforge_stop_slo_ratio', help: `Share of stops within ${STOP_SLO_SECONDS} s (1 when none yet).`, ...r, collect() {
      this.set(ratio(stopSlo));
    } });
    new Gauge({ name: 'flowforge_restart_slo_ratio', help: `Share of restarts within ${RESTART_SLO_SECONDS} s (1 when none yet).`, ...r, collect() {
      this.set(ratio(restartSlo));
    } });
    new Gauge({ name: 'flowforge_stop_slo_target_seconds', help: 'Stop latency objective.', ...r }).set(STOP_SLO_SECONDS);
    new Gauge({ name: 'flowforge_restart_slo_target_seconds', help: 'Restart latency objective.', ...r }).set(RESTART_SLO_SECONDS);
    new Gauge({ name: 'flowforge_store_last_save_seconds', help: 'Duration of the last save of the store file.', ...r, collect() {
      this.set((store.health().lastSaveMs ?? 0) / 1000);
    } });
    new Gauge({ name: 'flowforge_store_size_bytes', help: 'Size of the store file at its last save.', ...r, collect() {
      this.set(store.health().sizeBytes);
    } });
    new Gauge({ name: 'flowforge_store_writable', help: '1 when the store can be saved.', ...r, collect() {
      this.set(store.health().writable ? 1 : 0);
    } });
    new Gauge({ name: 'flowforge_store_unsaved_changes', help: '1 when changes wait to be saved.', ...r, collect() {
      this.set(store.health().dirty ? 1 : 0);
    } });
    const sseClients = this.src.sseClients;
    new Gauge({ name: 'flowforge_stream_clients', help: 'Connected /v1/stream clients.', ...r, collect() {
      this.set(sseClients());
    } });
  }

  private onJournal(e: TimelineEvent): void {
    this.runaways.onJournal(e);
    if (e.kind === 'lifecycle') this.onLifecycle(e.data as unknown as LifecycleEvent);
    else if (e.kind === 'incident' && e.data.status === 'open') this.incidents.inc({ kind: String(e.data.kind ?? 'unknown') });
    else if (e.kind === 'audit') this.actions.inc({ action: String(e.data.action), actor: String(e.data.actor ?? '').split(':')[0] || 'unknown' });
  }

  private onLifecycle(e: LifecycleEvent): void {
    if (this.stopping.size > TRACKED_MAX) this.stopping.clear();
    if (this.starting.size > TRACKED_MAX) this.starting.clear();
    if (this.lastStopMs.size > TRACKED_MAX) this.lastStopMs.clear();
    switch (e.phase) {
      case 'STOPPING':
        this.stopping.set(e.run_id, e.t);
        return;
      case 'STARTING':
        this.starting.set(e.run_id, { t: e.t, restart: e.reason === 'restarted' });
        return;
      case 'RUNNING': {
        const start = this.starting.get(e.run_id);
        this.starting.delete(e.run_id);
        if (!start?.restart) return;
        const stopMs = this.lastStopMs.get(e.job_id) ?? 0;
        this.lastStopMs.delete(e.job_id);
        this.observe(this.restartLatency, this.restartSlo, RESTART_SLO_SECONDS, (stopMs + e.t - start.t) / 1000);
        return;
      }
      case 'STOPPED':
      case 'FAILED': {
        this.starting.delete(e.run_id);
        const t0 = this.stopping.get(e.run_id);
        if (t0 === undefined) return;
        this.stopping.delete(e.run_id);
        this.lastStopMs.set(e.job_id, e.t - t0);
        this.observe(this.stopLatency, this.stopSlo, STOP_SLO_SECONDS, (e.t - t0) / 1000);
        return;
      }
    }
  }

  private observe(h: Histogram, book: SloBook, slo: number, seconds: number): void {
    h.observe(seconds);
    book.total++;
    if (seconds <= slo) book.within++;
  }
}
