// `flowforge hook <claude|gemini|codex>`: what an agent runs on every tool
// call. It passes the hook's stdin to the run's agent channel and prints the
// answer exactly as the channel wrote it. Outside FlowForge (no capability in
// the environment) it answers "allow" at once. It never blocks the agent by
// failing: any problem gives "allow" and one line on stderr.
import { request } from 'node:http';
import { ALLOW_STDOUT, CHANNEL_ENV, decodeAnswer, parseCapability, type WireAnswer } from './hookWire';

const AGENTS = new Set(['claude', 'gemini', 'codex']);
/** The agents wait for hooks (60 s by default); a stuck channel must not hold them that long. */
const TIMEOUT_MS = 5_000;

function readStdin(): Promise<Buffer> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    process.stdin.on('data', (d: Buffer) => parts.push(d));
    process.stdin.on('end', () => resolve(Buffer.concat(parts)));
    process.stdin.on('error', () => resolve(Buffer.concat(parts)));
  });
}

const allow = (stderr = ''): WireAnswer => ({ exitCode: 0, stdout: ALLOW_STDOUT, stderr });

function ask(socketPath: string, token: string, agent: string, body: Buffer): Promise<WireAnswer> {
  return new Promise((resolve) => {
    const req = request(
      {
        socketPath,
        path: `/hook/${agent}`,
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': body.length },
        timeout: TIMEOUT_MS,
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('end', () => {
          const text = Buffer.concat(parts).toString('utf8');
          if (res.statusCode !== 200) return resolve(allow(`flowforge hook: the FlowForge channel refused (${res.statusCode}: ${text.slice(0, 200).trim()}); allowing`));
          resolve(decodeAnswer(text) ?? allow('flowforge hook: unreadable answer from the FlowForge channel; allowing'));
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer in ${TIMEOUT_MS} ms`)));
    req.on('error', (err) => resolve(allow(`flowforge hook: FlowForge channel unreachable (${err.message}); allowing`)));
    req.end(body);
  });
}

export async function hookCommand(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const agent = argv[0] ?? '';
  const stdin = await readStdin();
  const cap = parseCapability(env[CHANNEL_ENV]);
  let answer: WireAnswer;
  if (!AGENTS.has(agent)) answer = allow(`flowforge hook: unknown agent '${agent}' (use claude, gemini or codex); allowing`);
  else if (!cap) answer = allow();
  else answer = await ask(cap.socketPath, cap.token, agent, stdin);
  if (answer.stderr) process.stderr.write(answer.stderr + '\n');
  process.stdout.write(answer.stdout + '\n');
  return answer.exitCode;
}
