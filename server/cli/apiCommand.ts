// `flowforge api <method> <path> [--data JSON]`: one call to a running
// FlowForge API, with the key read by the CLI itself — never from argv, which
// every local process can read in /proc/<pid>/cmdline (curl -H "Authorization:
// Bearer …" puts it there). The key comes from FLOWFORGE_API_KEY in the
// caller's environment or from a key file that only its owner can read.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { defaultStorePath } from '../store';
import { parse, UsageError } from '../util/args';
import { readKeyFile } from './cliApi';

export const API_HELP = `Usage: flowforge api <GET|POST|DELETE> <path> [--data JSON] [--url URL] [--key-file PATH]

Calls a running FlowForge API (flowforge serve, flowforge run --api-port) and
prints the answer. Exit 0 on 2xx, 1 otherwise (the problem goes to stderr).

  <path>            e.g. /v1/runs, /v1/incidents?limit=5 (the /v1 prefix is optional)
  --data JSON       request body (POST); '-' reads it from stdin
  --url URL         the server (default: the discovery file of flowforge serve,
                    else of the newest flowforge run with an API)
  --key-file PATH   a file holding the key (it must not be readable by group or others)

The key: --key-file, else FLOWFORGE_API_KEY_FILE (a path), else FLOWFORGE_API_KEY.
Never pass a key as an argument: other processes can read command lines.`;

const OPTIONS = {
  data: { type: 'string' },
  url: { type: 'string' },
  'key-file': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const METHODS = new Set(['GET', 'POST', 'DELETE']);

function keyFor(keyFile: string | undefined, env: NodeJS.ProcessEnv): string {
  const file = keyFile ?? env.FLOWFORGE_API_KEY_FILE;
  if (file) return readKeyFile(file);
  const key = env.FLOWFORGE_API_KEY?.trim();
  if (key) return key;
  throw new UsageError('no API key: set FLOWFORGE_API_KEY, or FLOWFORGE_API_KEY_FILE / --key-file to a file only you can read');
}

function urlFromDiscovery(env: NodeJS.ProcessEnv): string {
  const dir = dirname(defaultStorePath(env));
  const candidates = [join(dir, 'api.json')];
  try {
    const runs = readdirSync(join(dir, 'api')).filter((n) => /^run-\d+\.json$/.test(n));
    runs.sort((a, b) => statSync(join(dir, 'api', b)).mtimeMs - statSync(join(dir, 'api', a)).mtimeMs);
    candidates.push(...runs.map((n) => join(dir, 'api', n)));
  } catch {
    /* no run has an API */
  }
  for (const file of candidates) {
    try {
      const info = JSON.parse(readFileSync(file, 'utf8')) as { url?: unknown; pid?: unknown };
      if (typeof info.url !== 'string' || typeof info.pid !== 'number') continue;
      process.kill(info.pid, 0);
      return info.url;
    } catch {
      /* gone or unreadable: try the next */
    }
  }
  throw new UsageError(`no running FlowForge API found (looked in ${dir}); start one with flowforge serve, or pass --url`);
}

function requestPath(raw: string): string {
  if (!raw.startsWith('/')) throw new UsageError(`the path must start with / (got '${raw}')`);
  return raw.toLowerCase().startsWith('/v1/') || raw.toLowerCase() === '/v1' ? raw : `/v1${raw}`;
}

export async function apiCommand(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { values, rest } = parse(argv, OPTIONS);
  if (values.help) {
    process.stdout.write(API_HELP + '\n');
    return 0;
  }
  const [rawMethod, rawPath, ...extra] = rest;
  if (!rawMethod || !rawPath || extra.length) throw new UsageError(`expected <method> <path>\n\n${API_HELP}`);
  const method = rawMethod.toUpperCase();
  if (!METHODS.has(method)) throw new UsageError(`method must be GET, POST or DELETE (got '${rawMethod}')`);
  let body = typeof values.data === 'string' ? values.data : undefined;
  if (body === '-') body = readFileSync(0, 'utf8');
  if (body !== undefined) {
    try {
      JSON.parse(body);
    } catch (err) {
      throw new UsageError(`--data is not valid JSON: ${(err as Error).message}`);
    }
  }
  const key = keyFor(typeof values['key-file'] === 'string' ? values['key-file'] : undefined, env);
  const base = (typeof values.url === 'string' ? values.url : env.FLOWFORGE_API_URL) ?? urlFromDiscovery(env);
  const url = base.replace(/\/+$/, '').replace(/\/v1$/, '') + requestPath(rawPath);
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body,
    });
  } catch (err) {
    process.stderr.write(`flowforge: cannot reach ${url}: ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}\n`);
    return 1;
  }
  const text = await res.text();
  let shown = text;
  try {
    shown = JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    /* not JSON: print as is */
  }
  (res.ok ? process.stdout : process.stderr).write(shown + (shown.endsWith('\n') ? '' : '\n'));
  if (!res.ok) process.stderr.write(`flowforge: ${method} ${requestPath(rawPath)} answered ${res.status}\n`);
  return res.ok ? 0 : 1;
}
