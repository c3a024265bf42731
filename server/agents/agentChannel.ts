// The agent channel: how `flowforge hook`, running inside a supervised
// agent's process tree, reaches the run it belongs to. One small HTTP server
// on a Unix socket in a folder only its owner may enter (0700), owned by the
// engine and independent of the /v1 API (which may be off). Each run gets a
// capability: the socket path and a random token, in FLOWFORGE_AGENT_CHANNEL.
// The token names exactly one run and allows exactly two things: post that
// run's hook events (POST /hook/<agent>) and read that run's findings
// (GET /findings). There is no route to start, stop or read anything else,
// and the token is forgotten when its run ends.
import { randomBytes, createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../util/logger';
import { HOOK_AGENTS, type HookAgent, type HookAnswer } from './hookTypes';
import { CHANNEL_ENV, encodeAnswer } from './hookWire';

export { CHANNEL_ENV };

/** What the channel asks of a run. */
export interface RunHookHandler {
  hook(agent: HookAgent, raw: string): HookAnswer;
  findings(): unknown;
}

export interface ChannelGrant {
  /** The value of FLOWFORGE_AGENT_CHANNEL for this run's processes. */
  value: string;
  revoke(): void;
}

/** Tool inputs can carry whole files (a Write call); beyond this the hook is answered "allow" unread. */
const MAX_BODY = 8 * 1024 * 1024;

const digest = (token: string): string => createHash('sha256').update(token).digest('hex');

export class AgentChannel {
  /** By the token's digest, so a lookup never compares secrets byte by byte. */
  private readonly runs = new Map<string, { runId: string; handler: RunHookHandler }>();
  private readonly server: Server;
  readonly socketPath: string;
  private readonly dir: string;
  private closed = false;

  private constructor(private readonly logger: Logger, base: string) {
    // mkdtemp creates the folder with mode 0700: no other user can reach the socket.
    this.dir = mkdtempSync(join(base, 'flowforge-agent-'));
    this.socketPath = join(this.dir, 'channel.sock');
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.on('error', (err) => this.logger.error('agent channel failed', { error: err.message }));
    this.server.listen(this.socketPath);
    this.server.unref();
  }

  /** Opens a channel; the socket is listening by the time a spawned job could call it. */
  static open(logger: Logger, base = process.env.XDG_RUNTIME_DIR || tmpdir()): AgentChannel {
    return new AgentChannel(logger, base);
  }

  grant(runId: string, handler: RunHookHandler): ChannelGrant {
    const token = randomBytes(32).toString('base64url');
    const key = digest(token);
    this.runs.set(key, { runId, handler });
    return { value: `${this.socketPath}#${token}`, revoke: () => this.runs.delete(key) };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.runs.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    rmSync(this.dir, { recursive: true, force: true });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const reply = (status: number, body: string, type = 'text/plain') => {
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), connection: 'close' });
      res.end(body);
    };
    const auth = req.headers.authorization ?? '';
    const run = auth.startsWith('Bearer ') ? this.runs.get(digest(auth.slice(7))) : undefined;
    if (!run) {
      req.resume();
      return reply(401, 'unknown or expired capability (the run has ended, or this is not a FlowForge run)\n');
    }
    const url = req.url ?? '/';
    if (req.method === 'GET' && url === '/findings') {
      req.resume();
      return reply(200, JSON.stringify(run.handler.findings()), 'application/json');
    }
    const m = /^\/hook\/([a-z]+)$/.exec(url);
    if (req.method !== 'POST' || !m || !(HOOK_AGENTS as readonly string[]).includes(m[1]!)) {
      req.resume();
      return reply(404, 'this capability can only post hook events (POST /hook/<claude|gemini|codex>) and read its run\'s findings (GET /findings)\n');
    }
    const agent = m[1] as HookAgent;
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (d: Buffer) => {
      size += d.length;
      if (size <= MAX_BODY) parts.push(d);
    });
    req.on('end', () => {
      let answer: HookAnswer;
      if (size > MAX_BODY) {
        answer = { exitCode: 0, stdout: '{}', stderr: `flowforge hook: input over ${MAX_BODY >> 20} MB not read; allowing` };
      } else {
        try {
          answer = run.handler.hook(agent, Buffer.concat(parts).toString('utf8'));
        } catch (err) {
          // A bug of ours must never block the agent.
          this.logger.error('agent hook failed', { run_id: run.runId, error: (err as Error).message });
          answer = { exitCode: 0, stdout: '{}', stderr: `flowforge hook: internal error (${(err as Error).message}); allowing` };
        }
      }
      reply(200, encodeAnswer(answer));
    });
  }
}
