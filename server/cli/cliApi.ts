// The /v1 API of a CLI process: keys from the environment (or one generated
// for this process), the discovery file local clients read, and the API
// served by `flowforge run` (unless --no-api).
//   FLOWFORGE_API_KEY    admin key (named "admin"), or FLOWFORGE_API_KEY_FILE: a 0600 file holding it
//   FLOWFORGE_READ_KEY   optional read-only key (named "read")
//   FLOWFORGE_SUBMIT_KEY optional submit key (named "submit")
// Jobs never inherit these variables (server/supervisor/childEnv.ts), and the
// CLI wipes them from its own initial environment block at start
// (server/util/initialEnvironment.ts), which a job could read through /proc.
import { closeSync, openSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ApiConfigError, ApiKeyError, startApiServer, type ApiKey, type ApiServer } from '../api';
import { generateApiKey } from '../shared/apiKeyGen';
import { defaultStorePath } from '../store';
import { UsageError } from '../util/args';
import { readKeyFile } from '../util/keyFile';
import type { Session } from './sessionCore';

export { readKeyFile };

export interface CliApi {
  port: number;
  url: string;
  close(): Promise<void>;
}

export interface EnvKeys {
  keys: ApiKey[];
  /** The admin key made for this process when FLOWFORGE_API_KEY is unset. */
  generated: string | null;
}

export function apiKeysFromEnv(env: NodeJS.ProcessEnv = process.env): EnvKeys {
  // A key file keeps the key out of every environment block (FLOWFORGE_API_KEY_FILE is only a path).
  const given = env.FLOWFORGE_API_KEY?.trim() || (env.FLOWFORGE_API_KEY_FILE ? readKeyFile(env.FLOWFORGE_API_KEY_FILE) : undefined);
  const admin = given || generateApiKey();
  const keys: ApiKey[] = [{ name: 'admin', scope: 'admin', key: admin }];
  const read = env.FLOWFORGE_READ_KEY?.trim();
  const submit = env.FLOWFORGE_SUBMIT_KEY?.trim();
  if (read) keys.push({ name: 'read', scope: 'read', key: read });
  if (submit) keys.push({ name: 'submit', scope: 'submit', key: submit });
  return { keys, generated: given ? null : admin };
}

/**
 * Where a CLI process announces its API: `flowforge serve` at
 * `<state dir>/api.json`, each `flowforge run` at `<state dir>/api/run-<pid>.json`.
 */
export function discoveryFileFor(kind: 'serve' | 'run', env: NodeJS.ProcessEnv = process.env, pid = process.pid): string {
  const stateDir = dirname(defaultStorePath(env));
  return kind === 'serve' ? join(stateDir, 'api.json') : join(stateDir, 'api', `run-${pid}.json`);
}

/** Removes discovery files of `flowforge run` processes that are gone (killed without a chance to clean up). */
export function pruneStaleDiscovery(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(/^run-(\d+)\.json$/.exec(name)?.[1]);
    if (!pid || pid === process.pid) continue;
    try {
      process.kill(pid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') rmSync(join(dir, name), { force: true });
    }
  }
}

/** Starts the API for a CLI session; configuration problems become usage errors with their message. */
export async function serveCliApi(session: Session, options: { port: number; kind: 'serve' | 'run'; allowedOrigins?: string[] }): Promise<{ server: ApiServer; keys: EnvKeys; discoveryFile: string }> {
  const keys = apiKeysFromEnv();
  const discoveryFile = discoveryFileFor(options.kind);
  if (options.kind === 'run') pruneStaleDiscovery(dirname(discoveryFile));
  try {
    const server = await startApiServer({
      engine: session.engine,
      keys: keys.keys,
      port: options.port,
      logger: session.logger,
      allowedOrigins: options.allowedOrigins,
      discoveryFile,
    });
    return { server, keys, discoveryFile };
  } catch (err) {
    if (err instanceof ApiConfigError || err instanceof ApiKeyError) throw new UsageError(err.message);
    throw err;
  }
}

/**
 * `flowforge run`'s API: the key is FLOWFORGE_API_KEY, or one generated for
 * this process and shown once on the controlling terminal. Never on stdout or
 * stderr (they carry the job's output and are often a file or a pipe, which the
 * job, running as the same user, could read through /proc/$PPID/fd) and never
 * in a file.
 */
export async function startCliApi(session: Session, port: number, quiet: boolean): Promise<CliApi | null> {
  const { server, keys } = await serveCliApi(session, { port, kind: 'run' });
  if (!keys.generated) {
    if (!quiet) session.logger.info(`API on ${server.url} (admin key from FLOWFORGE_API_KEY)`);
  } else if (!showOnTerminal(`flowforge: API on ${server.url} (admin key, shown once, not stored: ${keys.generated})\n`)) {
    session.logger.warn(`API on ${server.url}, but there is no terminal to show its generated key on: set FLOWFORGE_API_KEY to call it`);
  }
  return { port: server.port, url: server.url, close: () => server.close() };
}

/** Writes to the controlling terminal (what other processes cannot read back); false when there is none. */
function showOnTerminal(text: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync('/dev/tty', 'w');
    writeSync(fd, text);
    return true;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
