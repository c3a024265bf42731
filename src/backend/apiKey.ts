// The admin key the extension and its backend share: kept in SecretStorage
// (`flowforge.apiKey`), made on first use. When SecretStorage cannot be used
// (no OS keyring on a Linux box), a key made for this session works as well:
// it only has to live as long as the backend.
import { generateApiKey, MIN_KEY_LENGTH } from '../../server/shared/apiKeyGen';
import type { Logger } from '../../server/util/logger';

export const API_KEY_SECRET = 'flowforge.apiKey';
/** A keyring that prompts or hangs must not hold the backend back. */
const SECRET_TIMEOUT_MS = 5000;

export interface SecretStore {
  get(key: string): PromiseLike<string | undefined>;
  store(key: string, value: string): PromiseLike<void>;
}

function withTimeout<T>(p: PromiseLike<T>, what: string): Promise<T> {
  return Promise.race([
    Promise.resolve(p),
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what} did not answer within ${SECRET_TIMEOUT_MS / 1000} s`)), SECRET_TIMEOUT_MS)),
  ]);
}

export async function loadApiKey(secrets: SecretStore, logger: Logger): Promise<string> {
  try {
    const existing = await withTimeout(secrets.get(API_KEY_SECRET), 'SecretStorage');
    if (existing && existing.length >= MIN_KEY_LENGTH && !/\s/.test(existing)) return existing;
    const key = generateApiKey();
    await withTimeout(secrets.store(API_KEY_SECRET, key), 'SecretStorage');
    logger.info('generated a new FlowForge API key and kept it in VS Code SecretStorage');
    return key;
  } catch (err) {
    logger.warn(`SecretStorage is not usable (${(err as Error).message}); using an API key for this session only`);
    return generateApiKey();
  }
}
