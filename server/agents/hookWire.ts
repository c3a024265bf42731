// The wire between `flowforge hook` (inside the agent's process tree) and the
// engine's agent channel. Kept free of dependencies: the hook client bundles
// this and node's http, nothing else, so it starts fast.
//
// The capability: FLOWFORGE_AGENT_CHANNEL=<socket path>#<token>. The socket
// sits in a folder only its owner may enter; the token names one run.
// The answer body: "<exit code>\n<one stderr line or nothing>\n<stdout>", which
// a POSIX shell can split without a JSON parser (see scripts/flowforge-hook.sh).

export const CHANNEL_ENV = 'FLOWFORGE_AGENT_CHANNEL';

export function parseCapability(value: string | undefined): { socketPath: string; token: string } | null {
  if (!value) return null;
  const hash = value.lastIndexOf('#');
  if (hash <= 0 || hash === value.length - 1) return null;
  return { socketPath: value.slice(0, hash), token: value.slice(hash + 1) };
}

export interface WireAnswer {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export function encodeAnswer(a: WireAnswer): string {
  return `${a.exitCode}\n${a.stderr.replace(/\s*\n\s*/g, ' ').trim()}\n${a.stdout}`;
}

export function decodeAnswer(body: string): WireAnswer | null {
  const first = body.indexOf('\n');
  const second = first < 0 ? -1 : body.indexOf('\n', first + 1);
  if (second < 0) return null;
  const code = body.slice(0, first);
  // Only 0 and 2 mean anything to the agents; anything else would be a garbled reply.
  if (code !== '0' && code !== '2') return null;
  return { exitCode: Number(code), stderr: body.slice(first + 1, second), stdout: body.slice(second + 1) };
}

/** The answer that lets the agent carry on: valid for every event of all three agents. */
export const ALLOW_STDOUT = '{}';
