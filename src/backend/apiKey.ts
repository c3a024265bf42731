// The admin key the extension and its backend share: made in memory for each
// backend the window starts and handed over IPC, never stored. A stored key
// (VS Code SecretStorage) is readable by a job: an unlocked keyring answers
// any process of the user, and on Linux without a keyring VS Code encrypts
// with a built-in key. The key only has to live as long as its backend.
import { generateApiKey } from '../../server/shared/apiKeyGen';
import type { Logger } from '../../server/util/logger';

/** Where versions before the per-session key kept it; deleted at start so no old key lingers. */
export const STORED_API_KEY_SECRET = 'flowforge.apiKey';
/** A keyring that prompts or hangs must not hold anything back. */
const SECRET_TIMEOUT_MS = 5000;

export interface SecretStore {
  delete(key: string): PromiseLike<void>;
}

/** A fresh key for one backend; a restarted backend gets another. */
export async function sessionApiKey(): Promise<string> {
  return generateApiKey();
}

/** Removes the key earlier versions stored; a keyring that fails or hangs only costs a log line. */
export async function forgetStoredApiKey(secrets: SecretStore, logger: Logger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      Promise.resolve(secrets.delete(STORED_API_KEY_SECRET)),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${SECRET_TIMEOUT_MS / 1000} s`)), SECRET_TIMEOUT_MS);
      }),
    ]);
  } catch (err) {
    logger.warn(`could not delete the API key stored by an earlier FlowForge version (${(err as Error).message})`);
  } finally {
    clearTimeout(timer);
  }
}
