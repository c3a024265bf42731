// Making an API key. The extension makes the admin key it hands its backend,
// and `flowforge serve`/`flowforge run --api` make theirs: one recipe, so a
// key from either side passes the other side's checks.
import { randomBytes } from 'node:crypto';

/** The shortest secret the API accepts: shorter ones are guessable. */
export const MIN_KEY_LENGTH = 16;

/** A fresh admin-grade secret: 32 random bytes, URL-safe. */
export function generateApiKey(): string {
  return `ffk_${randomBytes(32).toString('base64url')}`;
}
