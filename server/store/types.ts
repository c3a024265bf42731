// The contract of the evidence store, as the engine and the API use it.
// Every durable change appends one row to the journal (the unified timeline);
// the returned TimelineEvent's `seq` is what the SSE stream sends as its id.
import type {
  AuditEvent,
  Decision,
  Incident,
  LifecycleEvent,
  Run,
  Sample,
  Signature,
  TimelineEvent,
  TimelineKind,
  Workspace,
} from '../shared/protocol/domain';

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
  has_more: boolean;
}

export interface PageQuery {
  /** 1..500 */
  limit: number;
  /** Opaque cursor from a previous page. */
  cursor?: string | null;
}

/** A journal entry's extra facts when a record change is worth a timeline row. */
export interface JournalNote {
  summary: string;
  request_id?: string | null;
}

export interface IdempotencyRecord {
  key: string;
  /** Route label, e.g. `POST /v1/process/kill`. */
  endpoint: string;
  request_hash: string;
  status: number;
  body: string;
  content_type: string;
  created_at: number;
}

/** Idempotency-Key outcomes of one UTC day. */
export interface IdempotencyDay {
  /** Days since 1970-01-01 (UTC). */
  day: number;
  replays: number;
  conflicts: number;
}

export type IdempotencyOutcomeKind = 'replay' | 'conflict';

export interface StoreHealth {
  path: string | null;
  /** Opened without the lock by a reader (`flowforge incidents`); it never writes. */
  readOnly: boolean;
  schemaVersion: number;
  writable: boolean;
  dirty: boolean;
  lastSaveAt: number | null;
  lastSaveMs: number | null;
  lastError: string | null;
  sizeBytes: number;
}

/** How much history the store keeps; applied on open and every few minutes while it is written. */
export interface RetentionSettings {
  /** Runs (by end), incidents (by last update), journal rows and samples older than this go. */
  maxAgeDays: number;
  /** The timeline as a whole; decision, lifecycle and audit records go with their journal rows. */
  maxJournalRows: number;
  maxDecisions: number;
  /**
   * Routine `continue` decisions (policy wanted nothing, no incident) go sooner than
   * interventions: they show recent health, not evidence, and must not crowd it out.
   */
  maxContinueDecisionAgeHours: number;
  maxLifecycleEvents: number;
  maxAuditEvents: number;
  maxIncidents: number;
  /** Finished runs only; a running job's record is never dropped. */
  maxRuns: number;
  maxSamplesPerRun: number;
  maxSamples: number;
  idempotencyMaxAgeHours: number;
  maxIdempotencyRecords: number;
}

/** Everything the drill-down of one incident shows (GET /v1/incidents/{id}). */
export interface IncidentRecordDetail {
  incident: Incident;
  /** Null when retention already removed the run. */
  run: Run | null;
  /** The run's newest samples, oldest first. */
  samples: Sample[];
  /** The incident's decisions, oldest first. */
  decisions: Decision[];
  /** The incident's journal: its run's rows and its own, oldest first. */
  chain: TimelineEvent[];
}

export interface EvidenceStore {
  // ---- writes (redaction is applied inside the store, whatever the caller did) ----
  /** Insert or update a run; appends a journal row only when `note` is given. */
  upsertRun(run: Run, note?: JournalNote): TimelineEvent | null;
  /** Downsampled and capped per run inside the store. */
  addSample(sample: Sample): void;
  addDecision(decision: Decision): TimelineEvent;
  upsertIncident(incident: Incident, note?: JournalNote): TimelineEvent | null;
  addLifecycle(event: LifecycleEvent): TimelineEvent;
  addAudit(event: AuditEvent): TimelineEvent;

  /** A confirmed runaway's signature: stored, or one more hit of a known one (an allowed one stays allowed). */
  learnSignature(signature: Signature): { signature: Signature; created: boolean };
  /** "Not a runaway": every signature linked to the incident becomes allowed; returns them (none: nothing was learned from it). */
  allowSignatures(incidentId: string, by: { actor: string; reason: string; t: number }): Signature[];

  upsertWorkspace(ws: Workspace): void;
  deleteWorkspace(id: string): boolean;
  getIdempotency(key: string, endpoint: string): IdempotencyRecord | null;
  putIdempotency(record: IdempotencyRecord): void;
  /** Counts a replayed answer or a conflicting reuse of a key on the UTC day of `t`. */
  countIdempotencyOutcome(outcome: IdempotencyOutcomeKind, t: number): void;

  // ---- reads ----
  getRun(id: string): Run | null;
  listRuns(q: PageQuery & { workspace_id?: string; owner?: string; job_id?: string; active?: boolean }): Page<Run>;
  /** Oldest first; with `limit`, the newest `limit` samples of the range. */
  samples(runId: string, range?: { from?: number; to?: number; limit?: number }): Sample[];
  getDecision(id: string): Decision | null;
  /** Oldest first: the run's newest `limit` (default 100) decisions. */
  decisionsForRun(runId: string, limit?: number): Decision[];
  getIncident(id: string): Incident | null;
  listIncidents(
    q: PageQuery & { workspace_id?: string; status?: string; kind?: string; run_id?: string; owner?: string },
  ): Page<Incident>;
  timeline(q: PageQuery & { kinds?: TimelineKind[]; run_id?: string; workspace_id?: string; owner?: string }): Page<TimelineEvent>;
  /** Everything about one incident: its run's lifecycle, decisions, the incident rows and audit events, oldest first. */
  incidentChain(incidentId: string): TimelineEvent[];
  /** One incident's drill-down (incident, run, newest `samples` samples, decisions, chain) in one read; null when unknown. */
  incidentDetail(incidentId: string, samples: number): IncidentRecordDetail | null;
  /** Journal rows with seq > after, oldest first (SSE replay). */
  eventsAfter(after: number, limit: number): TimelineEvent[];
  eventsByRequest(requestId: string, limit?: number): TimelineEvent[];
  latestSeq(): number;
  /** Replay and conflict counts of the UTC days `fromDay..toDay` (days since the epoch), oldest first; days with none are absent. */
  idempotencyDays(fromDay: number, toDay: number): IdempotencyDay[];
  /** A scope's signatures, most recently confirmed first. */
  listSignatures(scope: string): Signature[];
  /** The signatures an incident taught or allowed. */
  signaturesOfIncident(incidentId: string): Signature[];
  getWorkspace(id: string): Workspace | null;
  listWorkspaces(): Workspace[];

  // ---- lifecycle ----
  health(): StoreHealth;
  /** Writes pending changes now (atomic temp file + fsync + rename). */
  flush(): Promise<void>;
  /** Flushes, releases the lock and frees memory. */
  close(): Promise<void>;
}
