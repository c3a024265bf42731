// Learned signatures in the store (see server/detect/signatures.ts for what a
// signature is). One row per (scope, signature) holds the record; every
// incident that taught it again, or that a person marked "not a runaway", is
// linked in signature_incidents, so `flowforge allow <incident>` finds the
// signature from any of them.
import type { Signature } from '../shared/protocol/domain';
import type { SqlDb } from './sqlDb';

/** Signatures kept per scope: the least recently confirmed learned ones go first (allowed ones stay). */
export const MAX_SIGNATURES_PER_SCOPE = 200;

const parse = (json: unknown): Signature => JSON.parse(String(json)) as Signature;

function put(db: SqlDb, s: Signature): void {
  db.run(
    `INSERT INTO signatures (scope, signature, status, updated_at, json) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (scope, signature) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at, json = excluded.json`,
    [s.scope, s.signature, s.status, s.updated_at, JSON.stringify(s)],
  );
}

function link(db: SqlDb, incidentId: string, s: Signature): void {
  db.run('INSERT OR IGNORE INTO signature_incidents (incident_id, scope, signature) VALUES (?, ?, ?)', [incidentId, s.scope, s.signature]);
}

export function getSignature(db: SqlDb, scope: string, signature: string): Signature | null {
  const json = db.value('SELECT json FROM signatures WHERE scope = ? AND signature = ?', [scope, signature]);
  return json === undefined ? null : parse(json);
}

/**
 * Stores what a confirmed stop taught: a new signature, or one more hit of a
 * known one (an allowed signature stays allowed). Returns the stored record
 * and whether it is new.
 */
export function learnSignature(db: SqlDb, learned: Signature): { signature: Signature; created: boolean } {
  const known = getSignature(db, learned.scope, learned.signature);
  const stored: Signature = known
    ? { ...known, hits: known.hits + 1, updated_at: learned.updated_at, templates: learned.templates.length ? learned.templates : known.templates }
    : learned;
  put(db, stored);
  link(db, learned.incident_id, stored);
  if (!known) trimScope(db, learned.scope);
  return { signature: stored, created: !known };
}

export function listSignatures(db: SqlDb, scope: string): Signature[] {
  return db.all('SELECT json FROM signatures WHERE scope = ? ORDER BY updated_at DESC', [scope]).map((r) => parse(r.json));
}

export function signaturesOfIncident(db: SqlDb, incidentId: string): Signature[] {
  return db
    .all(
      `SELECT s.json FROM signature_incidents i JOIN signatures s ON s.scope = i.scope AND s.signature = i.signature
       WHERE i.incident_id = ? ORDER BY s.signature`,
      [incidentId],
    )
    .map((r) => parse(r.json));
}

/** Marks every signature linked to the incident as allowed; returns them as stored. */
export function allowSignatures(
  db: SqlDb,
  incidentId: string,
  by: { actor: string; reason: string; t: number },
): Signature[] {
  return signaturesOfIncident(db, incidentId).map((s) => {
    const allowed: Signature = {
      ...s,
      status: 'allowed',
      updated_at: by.t,
      allowed_at: by.t,
      allowed_by: by.actor,
      allowed_reason: by.reason,
      allowed_incident_id: incidentId,
    };
    put(db, allowed);
    return allowed;
  });
}

/** Bounded per scope: the oldest learned signatures beyond the cap go, with their links. */
function trimScope(db: SqlDb, scope: string): void {
  const excess = db.all(
    `SELECT signature FROM signatures WHERE scope = ? AND status = 'learned' ORDER BY updated_at DESC LIMIT -1 OFFSET ?`,
    [scope, MAX_SIGNATURES_PER_SCOPE],
  );
  for (const r of excess) {
    db.run('DELETE FROM signatures WHERE scope = ? AND signature = ?', [scope, String(r.signature)]);
    db.run('DELETE FROM signature_incidents WHERE scope = ? AND signature = ?', [scope, String(r.signature)]);
  }
}
