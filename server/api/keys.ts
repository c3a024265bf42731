// API keys: named, each with one scope. Presented keys are compared in
// constant time on SHA-256 digests (so neither content nor length leaks), and
// every configured key is compared, match or not.
import { createHash, timingSafeEqual } from 'node:crypto';
import { MIN_KEY_LENGTH } from '../shared/apiKeyGen';

export type Scope = 'admin' | 'read' | 'submit';

export interface ApiKey {
  /** Shown in audit rows as `api:<name>` and used as the owner of runs it starts. Never the key itself. */
  name: string;
  scope: Scope;
  key: string;
}

export type ApiKeySet = readonly ApiKey[];

/** Who is calling: the key's name and scope, never the key. */
export interface Principal {
  name: string;
  scope: Scope;
  /** `api:<name>`, the actor on audit rows. */
  actor: string;
}

const KEY_NAME = /^[A-Za-z0-9._-]{1,64}$/;

export class ApiKeyError extends Error {}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** A short, non-reversible tag of a presented credential (for throttling buckets, never for logs). */
export function keyFingerprint(presented: string | null): string {
  return presented === null ? 'none' : digest(presented).subarray(0, 4).toString('hex');
}

export class KeyRing {
  private readonly entries: { principal: Principal; digest: Buffer }[];

  constructor(keys: ApiKeySet) {
    if (keys.length === 0) throw new ApiKeyError('the API needs at least one key');
    const names = new Set<string>();
    const secrets = new Set<string>();
    this.entries = keys.map((k) => {
      if (!KEY_NAME.test(k.name)) throw new ApiKeyError(`API key name '${k.name}' must be 1-64 letters, digits, '.', '_' or '-'`);
      if (names.has(k.name)) throw new ApiKeyError(`two API keys are named '${k.name}'; names must be unique`);
      if (!['admin', 'read', 'submit'].includes(k.scope)) throw new ApiKeyError(`API key '${k.name}' has unknown scope '${String(k.scope)}'`);
      if (k.key.length < MIN_KEY_LENGTH || /\s/.test(k.key))
        throw new ApiKeyError(`API key '${k.name}' must be at least ${MIN_KEY_LENGTH} characters without spaces (generate one with: openssl rand -base64 32)`);
      if (secrets.has(k.key)) throw new ApiKeyError(`API key '${k.name}' reuses the secret of another key`);
      names.add(k.name);
      secrets.add(k.key);
      return { principal: { name: k.name, scope: k.scope, actor: `api:${k.name}` }, digest: digest(k.key) };
    });
  }

  /** The principal of a presented key, or null. Always compares against every key. */
  verify(presented: string): Principal | null {
    const d = digest(presented);
    let found: Principal | null = null;
    for (const e of this.entries) if (timingSafeEqual(d, e.digest) && !found) found = e.principal;
    return found;
  }
}

/** The token of an `Authorization: Bearer <token>` header, or null when there is none. */
export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^Bearer[ ]+([\x21-\x7e]+)[ ]*$/i.exec(header);
  return m ? m[1]! : '';
}
