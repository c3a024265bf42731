// Reading a file that holds a secret (an API key, a signing key): refused when
// group or others may read it, because the secret in it is already exposed.
import { readFileSync, statSync } from 'node:fs';
import { UsageError } from './args';

/** The file's text, trimmed; `what` names the secret in the messages ("key file", "evidence signing key"). */
export function readKeyFile(path: string, what = 'key file'): string {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (err) {
    throw new UsageError(`cannot read the ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (process.platform !== 'win32' && (mode & 0o077) !== 0)
    throw new UsageError(`the ${what} ${path} is readable by others (mode ${(mode & 0o777).toString(8)}); run: chmod 600 ${path}`);
  const key = readFileSync(path, 'utf8').trim();
  if (!key) throw new UsageError(`the ${what} ${path} is empty`);
  return key;
}
