// `flowforge evidence export|verify|public-key`: signed evidence bundles of an
// incident, and their check. Loaded only when the command is used.
import { resolve } from 'node:path';
import { buildBundle, BundleFolderError, collectEvidence, writeBundle } from '../evidence/bundle';
import { defaultSigningKeyPath, publicKeyPem, signerFor, trustedKeys } from '../evidence/sign';
import { verifyBundle, type VerifyReport } from '../evidence/verify';
import type { EvidenceStore } from '../store';
import { parse, selfCommand, str, UsageError } from '../util/args';
import { withStore } from './readCommands';

export const EVIDENCE_HELP = `Usage:
  flowforge evidence export [--incident ID | --run ID] [--out DIR] [--db PATH] [--hmac-key-file FILE]
  flowforge evidence verify DIR [--public-key FILE]... [--hmac-key-file FILE] [--json]
  flowforge evidence public-key

export  writes one incident's evidence (the incident, every incident of the same job
        across restarts, their runs, timeline, decisions, samples) to DIR with a
        manifest of SHA-256 digests (manifest.json) and a signature over it
        (signature.json). Without --incident: the newest incident, or with --run
        the newest incident of that run. DIR (default ./flowforge-evidence-<incident>)
        must be new or empty.
verify  checks the signature and every file; exits 0 when all match, 1 naming
        each changed, missing or extra file.
public-key  prints your public key (PEM), for others to verify your bundles.

Signing: Ed25519 with your own key (made on first use in <state dir>/keys/evidence-ed25519.pem,
mode 0600; FLOWFORGE_EVIDENCE_KEY_FILE picks another file), or HMAC-SHA256 with a
shared key from --hmac-key-file / FLOWFORGE_EVIDENCE_HMAC_KEY_FILE (a path; the file
must not be readable by group or others).`;

export async function evidenceCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'export':
      return exportCommand(rest);
    case 'verify':
      return verifyCommand(rest);
    case 'public-key':
      return publicKeyCommand();
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(EVIDENCE_HELP + '\n');
      return sub ? 0 : 2;
    default:
      throw new UsageError(`unknown evidence command '${sub}' (export, verify or public-key)`);
  }
}

function pickIncident(store: EvidenceStore, path: string, incident?: string, run?: string): string {
  if (incident) {
    if (!store.getIncident(incident)) throw new UsageError(`no incident '${incident}' in ${path} (list them with: ${selfCommand()} incidents --db ${path})`);
    return incident;
  }
  const newest = store.listIncidents({ limit: 1, run_id: run }).items[0];
  if (!newest) throw new UsageError(run ? `run '${run}' has no incident in ${path}` : `no incident recorded in ${path} yet`);
  return newest.id;
}

async function exportCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    incident: { type: 'string' },
    run: { type: 'string' },
    out: { type: 'string' },
    db: { type: 'string' },
    'hmac-key-file': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(EVIDENCE_HELP + '\n');
    return 0;
  }
  if (values.incident && values.run) throw new UsageError('give --incident or --run, not both');
  // The key first: a key problem must not leave half a bundle behind.
  const signer = signerFor({ hmacKeyFile: str(values, 'hmac-key-file') });
  const started = performance.now();
  const result = await withStore(str(values, 'db'), (store, path) => {
    const id = pickIncident(store, path, str(values, 'incident'), str(values, 'run'));
    const content = collectEvidence(store, id)!;
    const dir = resolve(str(values, 'out') ?? `flowforge-evidence-${id}`);
    const files = buildBundle(content, signer, Date.now());
    writeBundle(dir, files);
    return { id, dir, content, bytes: files.reduce((n, f) => n + f.bytes.length, 0) };
  }).catch((err: unknown) => {
    throw err instanceof BundleFolderError ? new UsageError(err.message) : err;
  });
  const c = result.content;
  const ms = performance.now() - started;
  process.stdout.write(
    [
      `evidence of incident ${result.id} written to ${result.dir}`,
      `  ${c.incidents.length} incident(s), ${c.runs.length} run(s), ${c.timeline.length} timeline events, ${c.decisions.length} decisions, ${c.samples.length} samples; ${result.bytes} bytes in ${ms.toFixed(0)} ms`,
      `  signed with ${signer.algorithm} key ${signer.keyId}`,
      `  check it with: ${selfCommand()} evidence verify ${result.dir}`,
    ].join('\n') + '\n',
  );
  return 0;
}

function verifySummary(dir: string, r: VerifyReport): string {
  const sig = r.signature ? `${r.signature.algorithm} key ${r.signature.key_id}` : 'none';
  if (r.ok) return `OK: ${dir}: signature (${sig}) and all ${r.matched} files (${r.matchedBytes} bytes) match; incident ${r.manifest!.incident_id}`;
  const lines = r.problems.map((p) => `  ${p.file}: ${p.detail}`);
  return [`FAILED: ${dir}: ${r.problems.length} problem(s)`, ...lines].join('\n');
}

async function verifyCommand(argv: string[]): Promise<number> {
  const { values, rest } = parse(argv, {
    'public-key': { type: 'string', multiple: true },
    'hmac-key-file': { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(EVIDENCE_HELP + '\n');
    return 0;
  }
  if (rest.length !== 1) throw new UsageError(`give exactly one bundle folder: ${selfCommand()} evidence verify DIR`);
  const dir = resolve(rest[0]!);
  const trust = trustedKeys({
    publicKeyFiles: (values['public-key'] as unknown as string[] | undefined) ?? [],
    hmacKeyFile: str(values, 'hmac-key-file') ?? process.env.FLOWFORGE_EVIDENCE_HMAC_KEY_FILE,
    ownKeyPath: defaultSigningKeyPath(),
  });
  let report: VerifyReport;
  try {
    report = verifyBundle(dir, trust);
  } catch (err) {
    throw new UsageError(`cannot read the bundle ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (values.json) process.stdout.write(JSON.stringify({ ok: report.ok, dir, problems: report.problems, matched: report.matched, bytes: report.matchedBytes }, null, 2) + '\n');
  else (report.ok ? process.stdout : process.stderr).write(verifySummary(dir, report) + '\n');
  return report.ok ? 0 : 1;
}

function publicKeyCommand(): number {
  const path = defaultSigningKeyPath();
  const pem = publicKeyPem(path);
  if (!pem) throw new UsageError(`no evidence signing key yet at ${path}; it is made by the first: ${selfCommand()} evidence export`);
  process.stdout.write(pem);
  return 0;
}
