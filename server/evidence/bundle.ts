// Building an evidence bundle from the store: the incident, every incident of
// the same job (all its attempts), their runs, timeline, decisions and
// samples; every record passes through the shared redaction once more (the
// store already redacted it on write; an export leaves the machine, so it is
// checked again), then a manifest of digests and the signature over it.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Decision, Incident, Run, Sample, TimelineEvent } from '../shared/protocol/domain';
import { redactArgv, redactRecord } from '../shared/redact';
import type { EvidenceStore } from '../store/types';
import { BUNDLE_FORMAT, MANIFEST_FILE, SIGNATURE_FILE, type BundleFile, type Manifest, type SignatureDoc } from './format';
import type { Signer } from './sign';

export interface EvidenceContent {
  incident: Incident;
  /** Every incident of the job (the chain across restarts), oldest first. */
  incidents: Incident[];
  /** The job's attempts, oldest first. */
  runs: Run[];
  timeline: TimelineEvent[];
  decisions: Decision[];
  samples: Sample[];
}

/** Far above what retention keeps per run: an export holds everything still there. */
const ALL = 100_000;
const PAGE = 500;

function allPages<T>(read: (cursor: string | null) => { items: T[]; next_cursor: string | null }): T[] {
  const out: T[] = [];
  for (let cursor: string | null = null; ; ) {
    const page = read(cursor);
    out.push(...page.items);
    if (!page.next_cursor) return out;
    cursor = page.next_cursor;
  }
}

const byTime = <T extends { opened_at?: number; started_at?: number }>(a: T, b: T) => (a.opened_at ?? a.started_at ?? 0) - (b.opened_at ?? b.started_at ?? 0);

/** Reads one incident's evidence; null when the store has no such incident. */
export function collectEvidence(store: EvidenceStore, incidentId: string): EvidenceContent | null {
  const incident = store.getIncident(incidentId);
  if (!incident) return null;
  const runs = allPages((cursor) => store.listRuns({ job_id: incident.job_id, limit: PAGE, cursor }));
  // Retention may have removed the runs but kept the incident.
  if (!runs.some((r) => r.id === incident.run_id)) {
    const own = store.getRun(incident.run_id);
    if (own) runs.push(own);
  }
  runs.sort(byTime);
  const runIds = new Set([incident.run_id, ...runs.map((r) => r.id)]);
  const incidents = [...runIds].flatMap((run_id) => allPages((cursor) => store.listIncidents({ run_id, limit: PAGE, cursor }))).sort(byTime);
  const timeline = new Map<number, TimelineEvent>();
  for (const i of incidents) for (const e of store.incidentChain(i.id)) timeline.set(e.seq, e);
  return {
    incident,
    incidents,
    runs,
    timeline: [...timeline.values()].sort((a, b) => a.seq - b.seq),
    decisions: [...runIds].flatMap((id) => store.decisionsForRun(id, ALL)),
    samples: [...runIds].flatMap((id) => store.samples(id)),
  };
}

const redactRun = (run: Run): Run => ({ ...redactRecord(run, ['cwd', 'argv']), argv: redactArgv(run.argv) });

function redactEvent(e: TimelineEvent): TimelineEvent {
  const data = e.data && typeof e.data === 'object' ? (e.kind === 'run' ? redactRun(e.data as Run) : redactRecord(e.data as object)) : e.data;
  return { ...redactRecord(e), data } as TimelineEvent;
}

/** Every record through the shared redaction (argv with its command-line rules). */
export function redactEvidence(c: EvidenceContent): EvidenceContent {
  return {
    incident: redactRecord(c.incident),
    incidents: c.incidents.map((i) => redactRecord(i)),
    runs: c.runs.map(redactRun),
    timeline: c.timeline.map(redactEvent),
    decisions: c.decisions.map((d) => redactRecord(d)),
    samples: c.samples,
  };
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value, null, 2) + '\n', 'utf8');
export const sha256Hex = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** The bundle's files: the evidence, then manifest.json and signature.json. */
export function buildBundle(content: EvidenceContent, signer: Signer, now: number): BundleFile[] {
  const c = redactEvidence(content);
  const files: BundleFile[] = [
    { name: 'incident.json', bytes: json(c.incident) },
    { name: 'incidents.json', bytes: json(c.incidents) },
    { name: 'runs.json', bytes: json(c.runs) },
    { name: 'timeline.json', bytes: json(c.timeline) },
    { name: 'decisions.json', bytes: json(c.decisions) },
    { name: 'samples.json', bytes: json(c.samples) },
  ];
  const manifest: Manifest = {
    format: BUNDLE_FORMAT,
    created_at: new Date(now).toISOString(),
    incident_id: c.incident.id,
    job_id: c.incident.job_id,
    run_ids: c.runs.map((r) => r.id),
    incident_ids: c.incidents.map((i) => i.id),
    signing: { algorithm: signer.algorithm, key_id: signer.keyId },
    files: files.map((f) => ({ name: f.name, sha256: sha256Hex(f.bytes), bytes: f.bytes.length })),
  };
  const manifestBytes = json(manifest);
  const signature: SignatureDoc = {
    format: BUNDLE_FORMAT,
    algorithm: signer.algorithm,
    key_id: signer.keyId,
    signature: signer.sign(manifestBytes).toString('base64'),
  };
  return [...files, { name: MANIFEST_FILE, bytes: manifestBytes }, { name: SIGNATURE_FILE, bytes: json(signature) }];
}

export class BundleFolderError extends Error {}

/**
 * Writes the files into `dir` (made 0700, files 0600: evidence may describe
 * private work). An existing folder must be empty: an export never mixes with
 * or overwrites anything.
 */
export function writeBundle(dir: string, files: readonly BundleFile[]): void {
  let existing: string[] | null = null;
  try {
    existing = readdirSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') throw new BundleFolderError(`cannot use ${dir} for the bundle: ${code ?? (err as Error).message}`);
  }
  if (existing && existing.length > 0) throw new BundleFolderError(`${dir} is not empty (${existing.length} entries); give --out a new or empty folder`);
  try {
    if (!existing) mkdirSync(dir, { recursive: true, mode: 0o700 });
    for (const f of files) writeFileSync(join(dir, f.name), f.bytes, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    throw new BundleFolderError(`cannot write the bundle to ${dir}: ${(err as Error).message}`);
  }
}
