// `flowforge serve`: the supervisor backend and its /v1 API in the
// foreground, until SIGINT/SIGTERM; then every job is stopped and it exits 0.
import { numberFlag, parse, str } from '../util/args';
import { serveCliApi } from './cliApi';
import { otlpEndpointFlag } from './runCommand';
import { openSession } from './session';

export const SERVE_HELP = `Usage: flowforge serve [--api-port N] [--db PATH] [--allow-origin URL]... [--quiet]

Runs the FlowForge supervisor and its /v1 API on 127.0.0.1 until you stop it
(Ctrl+C); jobs started through the API are stopped with it.

Flags:
  --api-port N         port on 127.0.0.1 (default 0: any free port)
  --db PATH            evidence store file (default: your state directory)
  --allow-origin URL   a browser origin allowed to call the API (repeatable)
  --quiet              print only the URL (and a generated key)
  --otlp-endpoint URL  export runs' metrics, spans and incidents over OTLP/HTTP (off by default)

Keys: FLOWFORGE_API_KEY (admin) or FLOWFORGE_API_KEY_FILE (a 0600 file holding
it), FLOWFORGE_READ_KEY, FLOWFORGE_SUBMIT_KEY. Without either an admin key is
generated and printed once; it is not stored anywhere. Call the API with
flowforge api (it reads the key itself; never put a key on a command line). The URL, port and pid go to <state dir>/api.json (0600).`;

const SERVE_OPTIONS = {
  'api-port': { type: 'string' },
  db: { type: 'string' },
  'allow-origin': { type: 'string', multiple: true },
  quiet: { type: 'boolean' },
  'otlp-endpoint': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(sig, () => resolve(sig));
  });
}

export async function serveCommand(argv: string[]): Promise<number> {
  const { values, rest } = parse(argv, SERVE_OPTIONS);
  if (values.help) {
    process.stdout.write(SERVE_HELP + '\n');
    return 0;
  }
  if (rest.length) process.stderr.write(`flowforge: serve takes no arguments (ignoring ${rest.join(' ')})\n`);
  const port = numberFlag(values, 'api-port', { min: 0, max: 65535, integer: true }) ?? 0;
  const quiet = values.quiet === true;
  const allowedOrigins = (values['allow-origin'] as unknown as string[] | undefined) ?? [];
  const session = await openSession({ dbPath: str(values, 'db'), quiet, otlpEndpoint: otlpEndpointFlag(str(values, 'otlp-endpoint')) });
  try {
    const stopped = untilSignal();
    const { server, keys, discoveryFile } = await serveCliApi(session, { port, kind: 'serve', allowedOrigins });
    process.stdout.write(`FlowForge API: ${server.url}/v1\n`);
    if (keys.generated) process.stdout.write(`API key (admin; shown once, not stored): ${keys.generated}\n`);
    if (!quiet) {
      process.stdout.write(`discovery file: ${discoveryFile}\nevidence store: ${session.storePath}\nstop with Ctrl+C\n`);
    }
    const sig = await stopped;
    session.logger.info(`received ${sig}; stopping jobs`);
    await server.close();
    return 0;
  } finally {
    await session.close('flowforge serve stopped');
  }
}
