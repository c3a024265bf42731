// Signing an evidence bundle's manifest: Ed25519 with the user's own key (made
// on first use, kept in a 0600 file in a 0700 folder), or HMAC-SHA256 with a
// key the user gives in a file (a team that shares one secret). The signature
// covers the manifest's exact bytes; the manifest holds every file's digest.
import { createHash, createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, sign, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { defaultStorePath } from '../store';
import { UsageError } from '../util/args';
import { readKeyFile } from '../util/keyFile';

export type SigningAlgorithm = 'ed25519' | 'hmac-sha256';

export interface Signer {
  algorithm: SigningAlgorithm;
  /** Names the key without revealing it: a short digest of the public key (Ed25519) or of the secret (HMAC). */
  keyId: string;
  sign(data: Buffer): Buffer;
}

/** What a verifier trusts: public keys by id (Ed25519) and/or one shared secret (HMAC). */
export interface TrustedKeys {
  ed25519: Map<string, KeyObject>;
  hmac: { keyId: string; secret: Buffer } | null;
}

/** HMAC secrets shorter than this are refused: a short shared key can be guessed offline from any bundle. */
export const MIN_HMAC_KEY_BYTES = 16;

const KEY_ID_HEX = 16;
const hex = (data: Buffer | string) => createHash('sha256').update(data).digest('hex').slice(0, KEY_ID_HEX);

export const ed25519KeyId = (pub: KeyObject): string => hex(pub.export({ type: 'spki', format: 'der' }));
// A domain prefix, so the id of an HMAC secret is not the plain digest of the secret.
const hmacKeyId = (secret: Buffer): string => hex(Buffer.concat([Buffer.from('flowforge-evidence-hmac\0'), secret]));

/** `FLOWFORGE_EVIDENCE_KEY_FILE`, else `keys/evidence-ed25519.pem` in the user's FlowForge state folder. */
export function defaultSigningKeyPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.FLOWFORGE_EVIDENCE_KEY_FILE || join(dirname(defaultStorePath(env)), 'keys', 'evidence-ed25519.pem');
}

function createSigningKey(path: string): void {
  const folder = dirname(path);
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  chmodSync(folder, 0o700);
  const { privateKey } = generateKeyPairSync('ed25519');
  try {
    // 'wx': two exports racing on first use must not overwrite each other's key.
    writeFileSync(path, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new UsageError(`cannot create the evidence signing key ${path}: ${(err as Error).message}`);
  }
}

function loadPrivateKey(path: string): KeyObject {
  const pem = readKeyFile(path, 'evidence signing key');
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (err) {
    throw new UsageError(`the evidence signing key ${path} is not a PEM private key: ${(err as Error).message}`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new UsageError(`the evidence signing key ${path} is a ${key.asymmetricKeyType} key; FlowForge signs with Ed25519`);
  return key;
}

function fileExists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new UsageError(`cannot read the evidence signing key ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** The user's Ed25519 signer; the key is made (0600, folder 0700) the first time. */
export function ed25519Signer(path: string): Signer {
  if (!fileExists(path)) createSigningKey(path);
  const key = loadPrivateKey(path);
  return { algorithm: 'ed25519', keyId: ed25519KeyId(createPublicKey(key)), sign: (data) => sign(null, data, key) };
}

function readHmacSecret(path: string): Buffer {
  const secret = Buffer.from(readKeyFile(path, 'HMAC key file'), 'utf8');
  if (secret.length < MIN_HMAC_KEY_BYTES) throw new UsageError(`the HMAC key in ${path} is ${secret.length} bytes; use at least ${MIN_HMAC_KEY_BYTES} (e.g. openssl rand -hex 32 > ${path})`);
  return secret;
}

export function hmacSigner(path: string): Signer {
  const secret = readHmacSecret(path);
  return { algorithm: 'hmac-sha256', keyId: hmacKeyId(secret), sign: (data) => createHmac('sha256', secret).update(data).digest() };
}

/** `--hmac-key-file`, else `FLOWFORGE_EVIDENCE_HMAC_KEY_FILE` (a path: the secret stays out of every environment block). */
export function signerFor(opts: { hmacKeyFile?: string; env?: NodeJS.ProcessEnv }): Signer {
  const env = opts.env ?? process.env;
  const hmacFile = opts.hmacKeyFile ?? env.FLOWFORGE_EVIDENCE_HMAC_KEY_FILE;
  return hmacFile ? hmacSigner(hmacFile) : ed25519Signer(defaultSigningKeyPath(env));
}

/** The public half of the user's key as PEM (what another machine needs to verify), or null when there is none yet. */
export function publicKeyPem(path: string): string | null {
  if (!fileExists(path)) return null;
  return createPublicKey(loadPrivateKey(path)).export({ type: 'spki', format: 'pem' }).toString();
}

/** Trust for `evidence verify`: given public keys, the user's own key (never created here), a given HMAC secret. */
export function trustedKeys(opts: { publicKeyFiles?: string[]; hmacKeyFile?: string; ownKeyPath?: string }): TrustedKeys {
  const ed25519 = new Map<string, KeyObject>();
  for (const file of opts.publicKeyFiles ?? []) {
    let key: KeyObject;
    try {
      key = createPublicKey(readFileOrThrow(file));
    } catch (err) {
      throw new UsageError(`the public key ${file} is not a PEM public key: ${(err as Error).message}`);
    }
    if (key.asymmetricKeyType !== 'ed25519') throw new UsageError(`the public key ${file} is a ${key.asymmetricKeyType} key; evidence is signed with Ed25519`);
    ed25519.set(ed25519KeyId(key), key);
  }
  if (opts.ownKeyPath && fileExists(opts.ownKeyPath)) {
    const pub = createPublicKey(loadPrivateKey(opts.ownKeyPath));
    ed25519.set(ed25519KeyId(pub), pub);
  }
  const hmac = opts.hmacKeyFile ? readHmacSecret(opts.hmacKeyFile) : null;
  return { ed25519, hmac: hmac && { keyId: hmacKeyId(hmac), secret: hmac } };
}

function readFileOrThrow(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read the public key ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

export type SignatureCheck = { ok: true } | { ok: false; why: string };

/** Checks a signature against the trusted keys; HMAC is compared in constant time, Ed25519 verify is constant time by design. */
export function checkSignature(data: Buffer, sig: { algorithm: string; key_id: string; signature: Buffer }, trust: TrustedKeys): SignatureCheck {
  if (sig.algorithm === 'ed25519') {
    const key = trust.ed25519.get(sig.key_id);
    if (!key)
      return {
        ok: false,
        why: `signed with Ed25519 key ${sig.key_id}, which is not a key you trust; pass the signer's public key with --public-key FILE (they print it with: flowforge evidence public-key)`,
      };
    return verify(null, data, key, sig.signature) ? { ok: true } : { ok: false, why: 'the Ed25519 signature does not match manifest.json' };
  }
  if (sig.algorithm === 'hmac-sha256') {
    if (!trust.hmac) return { ok: false, why: 'signed with HMAC-SHA256; give the shared key with --hmac-key-file FILE' };
    const expected = createHmac('sha256', trust.hmac.secret).update(data).digest();
    const match = sig.signature.length === expected.length && timingSafeEqual(sig.signature, expected);
    if (match) return { ok: true };
    return { ok: false, why: sig.key_id === trust.hmac.keyId ? 'the HMAC-SHA256 signature does not match manifest.json' : `the HMAC-SHA256 signature does not match: the bundle was signed with key ${sig.key_id}, yours is ${trust.hmac.keyId}` };
  }
  return { ok: false, why: `unknown signature algorithm '${sig.algorithm}'` };
}
