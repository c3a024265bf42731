// Checking a bundle: the signature over manifest.json first, then every listed
// file's size and SHA-256 (compared in constant time), then that nothing else
// lies in the folder. Every problem is reported, each naming its file.
import { createHash, timingSafeEqual } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Manifest, MANIFEST_FILE, SIGNATURE_FILE, SignatureDoc } from './format';
import { checkSignature, type TrustedKeys } from './sign';

export type ProblemKind = 'changed' | 'missing' | 'extra' | 'signature' | 'unreadable';

export interface VerifyProblem {
  file: string;
  kind: ProblemKind;
  detail: string;
}

export interface VerifyReport {
  ok: boolean;
  problems: VerifyProblem[];
  manifest: Manifest | null;
  signature: SignatureDoc | null;
  /** Listed files that matched. */
  matched: number;
  matchedBytes: number;
}

type Read = { bytes: Buffer } | { problem: VerifyProblem };

function readRegular(dir: string, name: string): Read {
  const path = join(dir, name);
  try {
    if (!lstatSync(path).isFile()) return { problem: { file: name, kind: 'changed', detail: 'is not a regular file' } };
    return { bytes: readFileSync(path) };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { problem: { file: name, kind: 'missing', detail: 'is listed in the manifest but missing' } };
    return { problem: { file: name, kind: 'unreadable', detail: `cannot be read: ${code ?? (err as Error).message}` } };
  }
}

function parseJson<T>(bytes: Buffer, schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } } }): T | string {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    return `is not valid JSON (${(err as Error).message})`;
  }
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  return `is not a FlowForge evidence file (${issue.path.join('.') || 'top level'}: ${issue.message})`;
}

function readSignature(dir: string, problems: VerifyProblem[]): SignatureDoc | null {
  const read = readRegular(dir, SIGNATURE_FILE);
  if ('problem' in read) {
    problems.push(read.problem.kind === 'missing' ? { ...read.problem, detail: 'is missing: the bundle is not signed' } : read.problem);
    return null;
  }
  const doc = parseJson(read.bytes, SignatureDoc);
  if (typeof doc === 'string') {
    problems.push({ file: SIGNATURE_FILE, kind: 'changed', detail: doc });
    return null;
  }
  return doc;
}

const sameDigest = (hexA: string, bytes: Buffer) => timingSafeEqual(Buffer.from(hexA, 'hex'), createHash('sha256').update(bytes).digest());

function checkFiles(dir: string, manifest: Manifest, report: VerifyReport): void {
  for (const entry of manifest.files) {
    const read = readRegular(dir, entry.name);
    if ('problem' in read) {
      report.problems.push(read.problem);
      continue;
    }
    // The size is public (it is in the manifest); the digest comparison is constant time.
    const digestOk = sameDigest(entry.sha256, read.bytes);
    if (!digestOk || read.bytes.length !== entry.bytes) {
      report.problems.push({ file: entry.name, kind: 'changed', detail: `was changed (SHA-256 or size differs from manifest.json; ${read.bytes.length} bytes, listed ${entry.bytes})` });
      continue;
    }
    report.matched++;
    report.matchedBytes += read.bytes.length;
  }
}

function checkExtras(dir: string, listed: Set<string>, problems: VerifyProblem[], prefix = ''): void {
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    const name = prefix + d.name;
    if (!prefix && listed.has(d.name) && !d.isDirectory()) continue;
    problems.push({ file: name, kind: 'extra', detail: d.isDirectory() ? 'is a folder that is not part of the bundle' : 'is not listed in the manifest' });
    if (d.isDirectory()) checkExtras(join(dir, d.name), listed, problems, name + '/');
  }
}

export function verifyBundle(dir: string, trust: TrustedKeys): VerifyReport {
  const report: VerifyReport = { ok: false, problems: [], manifest: null, signature: null, matched: 0, matchedBytes: 0 };
  const problems = report.problems;
  const manifestRead = readRegular(dir, MANIFEST_FILE);
  report.signature = readSignature(dir, problems);
  if ('problem' in manifestRead) {
    problems.push(manifestRead.problem.kind === 'missing' ? { ...manifestRead.problem, detail: 'is missing: nothing says what the bundle holds' } : manifestRead.problem);
    return report;
  }
  const sig = report.signature;
  if (sig) {
    const check = checkSignature(manifestRead.bytes, { algorithm: sig.algorithm, key_id: sig.key_id, signature: Buffer.from(sig.signature, 'base64') }, trust);
    if (!check.ok) problems.push({ file: MANIFEST_FILE, kind: 'signature', detail: `fails the signature check: ${check.why} (manifest.json or ${SIGNATURE_FILE} was changed, or the key is not the signer's)` });
  }
  const manifest = parseJson(manifestRead.bytes, Manifest);
  if (typeof manifest === 'string') {
    problems.push({ file: MANIFEST_FILE, kind: 'changed', detail: manifest });
    return report;
  }
  report.manifest = manifest;
  if (sig && (sig.algorithm !== manifest.signing.algorithm || sig.key_id !== manifest.signing.key_id))
    problems.push({ file: SIGNATURE_FILE, kind: 'changed', detail: `names ${sig.algorithm} key ${sig.key_id}, but manifest.json was signed with ${manifest.signing.algorithm} key ${manifest.signing.key_id}` });
  const names = manifest.files.map((f) => f.name);
  const listed = new Set([...names, MANIFEST_FILE, SIGNATURE_FILE]);
  if (listed.size !== names.length + 2) problems.push({ file: MANIFEST_FILE, kind: 'changed', detail: 'lists a file twice' });
  checkFiles(dir, manifest, report);
  checkExtras(dir, listed, problems);
  report.ok = problems.length === 0;
  return report;
}
