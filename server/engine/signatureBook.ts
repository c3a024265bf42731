// The engine's memory of learned signatures (see server/detect/signatures.ts):
// what each scope's jobs are told every tick (learned and allowed, as pure
// data for the detector), learning from a confirmed stop, and a person's
// "not a runaway". Both changes are audited. The store is the truth; this
// book only caches each scope's lists until one of them changes.
import type { SignatureInputs } from '../detect/signatures';
import { NO_SIGNATURES } from '../detect/signatures';
import type { Verdict } from '../policy/types';
import { NOT_A_RUNAWAY_AUDIT_ACTION } from '../shared/protocol/choices';
import type { Incident, Run, Signature } from '../shared/protocol/domain';
import type { EvidenceStore } from '../store/types';
import type { Clock } from '../util/clock';
import type { Logger } from '../util/logger';
import type { ActorInfo } from './jobSpec';
import type { Recorder } from './recorder';

/**
 * Where a job's signatures live: its workspace, or for a run outside any
 * workspace (a plain `flowforge run`) the directory it runs in: the same
 * script run from the same project shares what was learned, another project
 * does not.
 */
export function signatureScope(job: { workspaceId: string | null; cwd: string }): string {
  return job.workspaceId ?? `dir:${job.cwd}`;
}

export class NothingToAllowError extends Error {}

export class SignatureBook {
  private readonly cache = new Map<string, SignatureInputs>();

  constructor(
    private readonly store: EvidenceStore,
    private readonly recorder: Recorder,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** The scope's signatures as the detector takes them (none while the store cannot be read yet). */
  inputsFor(scope: string): SignatureInputs {
    const cached = this.cache.get(scope);
    if (cached) return cached;
    let rows: Signature[];
    try {
      rows = this.store.listSignatures(scope);
    } catch {
      return NO_SIGNATURES; // a `flowforge run` whose store is still opening: ask again next tick
    }
    const known = (s: Signature) => ({ signature: s.signature, period: s.period, incidentId: s.allowed_incident_id ?? s.incident_id });
    const inputs: SignatureInputs = {
      learned: rows.filter((s) => s.status === 'learned').map(known),
      allowed: rows.filter((s) => s.status === 'allowed').map(known),
    };
    this.cache.set(scope, inputs);
    return inputs;
  }

  /** A loop rule stopped the job: remember its cycle in the job's scope, audited. */
  learn(scope: string, run: Run, incident: Incident | null, learn: NonNullable<Verdict['learn']>): void {
    if (!incident) return;
    const now = this.clock.now();
    try {
      const { signature, created } = this.store.learnSignature({
        scope,
        signature: learn.signature,
        period: learn.period,
        status: 'learned',
        incident_id: incident.id,
        run_id: run.id,
        rule: learn.rule,
        templates: learn.templates,
        learned_at: now,
        updated_at: now,
        hits: 1,
        allowed_at: null,
        allowed_by: null,
        allowed_reason: null,
        allowed_incident_id: null,
      });
      this.cache.delete(scope);
      this.recorder.audit({
        actor: 'flowforge',
        action: created ? 'learn_signature' : 'confirm_signature',
        reason: created
          ? `learned the ${learn.period}-line cycle stopped by ${learn.rule} as a runaway signature`
          : `the known runaway signature stopped the job again (${signature.hits} stops)`,
        request_id: null,
        run_id: run.id,
        workspace_id: run.workspace_id,
        details: { incident_id: incident.id, signature: learn.signature, period: learn.period, scope, status: signature.status },
      });
    } catch (err) {
      this.logger.warn(`${run.name}: could not store the learned signature`, { error: (err as Error).message });
    }
  }

  /**
   * "Not a runaway": the incident's signatures stop alerting and stopping in
   * their scope (running jobs included, from their next tick). Throws
   * NothingToAllowError when the incident taught nothing.
   */
  allow(incidentId: string, by: ActorInfo): Signature[] {
    const allowed = this.store.allowSignatures(incidentId, { actor: by.actor, reason: by.reason, t: this.clock.now() });
    if (allowed.length === 0) throw new NothingToAllowError(nothingToAllow(this.store, incidentId));
    for (const s of allowed) this.cache.delete(s.scope);
    const incident = this.store.getIncident(incidentId);
    this.recorder.audit({
      actor: by.actor,
      action: NOT_A_RUNAWAY_AUDIT_ACTION,
      reason: by.reason,
      request_id: by.requestId ?? null,
      run_id: incident?.run_id ?? allowed[0]!.run_id,
      workspace_id: incident?.workspace_id ?? null,
      details: { incident_id: incidentId, signatures: allowed.map((s) => s.signature), scopes: [...new Set(allowed.map((s) => s.scope))] },
    });
    return allowed;
  }
}

function nothingToAllow(store: EvidenceStore, incidentId: string): string {
  const incident = store.getIncident(incidentId);
  if (!incident) return `no incident '${incidentId}' in this store`;
  return (
    `incident ${incidentId} (${incident.title}) taught no signature: only a loop that FlowForge stopped ` +
    `(CPU loop, output loop, known runaway) is learned; alerts, held-back stops and other rules are not`
  );
}
