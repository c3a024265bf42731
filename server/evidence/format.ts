// What an evidence bundle is on disk: a folder of JSON files, `manifest.json`
// listing each with its SHA-256 digest and size, and `signature.json` holding
// the signature over the manifest's exact bytes. The manifest names the
// signing algorithm and key too, so a signature cannot be swapped for one of
// another kind without breaking it.
import { z } from 'zod';
import { EVIDENCE_FILE_NAME } from '../shared/protocol/api';

export const BUNDLE_FORMAT = 'flowforge-evidence/1';
export const MANIFEST_FILE = 'manifest.json';
export const SIGNATURE_FILE = 'signature.json';

/** A plain file name: no folders, nothing a manifest could use to point outside the bundle. */
const FileName = z
  .string()
  .regex(EVIDENCE_FILE_NAME, 'a plain lower-case file name')
  .refine((n) => n !== MANIFEST_FILE && n !== SIGNATURE_FILE, 'the manifest and signature are not listed in the manifest');

export const ManifestEntry = z.object({
  name: FileName,
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().min(0),
});
export type ManifestEntry = z.infer<typeof ManifestEntry>;

export const SigningAlgorithmSchema = z.enum(['ed25519', 'hmac-sha256']);

export const Manifest = z.object({
  format: z.literal(BUNDLE_FORMAT),
  created_at: z.string(),
  incident_id: z.string(),
  job_id: z.string(),
  run_ids: z.array(z.string()),
  incident_ids: z.array(z.string()),
  signing: z.object({ algorithm: SigningAlgorithmSchema, key_id: z.string() }),
  files: z.array(ManifestEntry),
});
export type Manifest = z.infer<typeof Manifest>;

export const SignatureDoc = z.object({
  format: z.literal(BUNDLE_FORMAT),
  algorithm: SigningAlgorithmSchema,
  key_id: z.string(),
  /** Base64 of the signature over the bytes of manifest.json. */
  signature: z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/),
});
export type SignatureDoc = z.infer<typeof SignatureDoc>;

/** One file of a bundle, as written or as returned by the API for the editor to write. */
export interface BundleFile {
  name: string;
  bytes: Buffer;
}
