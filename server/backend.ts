// The supervisor backend of one VS Code window: forked by the extension with
// VS Code's own Node and an IPC channel (src/backend/backendProcess.ts). It
// waits for `init` (the admin key never travels by argv or env), opens the
// store, the reaper, the engine and the /v1 API, answers `ready {port}`, and
// from then on the extension talks HTTP only. It stops every job and exits
// when the extension says `shutdown`, when the IPC channel closes, on
// SIGTERM/SIGINT/SIGHUP, and when its parent process is gone; the reaper
// covers a SIGKILL.
import { dirname, join } from 'node:path';
import { ApiConfigError, startApiServer, type ApiServer } from './api';
import { openSession, type Session } from './cli/session';
import { FromBackend, ToBackend, type InitMessage, type IpcLogLevel } from './shared/protocol/backendIpc';
import { redact } from './shared/redact';
import { isOwnSecretVar } from './supervisor/childEnv';
import { scrubInitialEnvironment } from './util/initialEnvironment';
import { createLogger, type Logger } from './util/logger';

const INIT_TIMEOUT_MS = 15_000;
const PARENT_POLL_MS = 1000;
/** After this, exit anyway: the reaper kills whatever a stuck shutdown left. */
const SHUTDOWN_DEADLINE_MS = 15_000;
const LEVELS: Record<IpcLogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

function send(msg: FromBackend): void {
  if (process.connected) process.send?.(msg, undefined, {}, () => undefined);
}

function ipcLogger(level: () => IpcLogLevel): Logger {
  return createLogger((lvl, line) => {
    if (LEVELS[lvl] >= LEVELS[level()]) send({ type: 'log', level: lvl, message: redact(line) });
  }, 'debug');
}

function waitForInit(): Promise<InitMessage> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no init message within ${INIT_TIMEOUT_MS / 1000} s`)), INIT_TIMEOUT_MS);
    const onMessage = (raw: unknown) => {
      const msg = ToBackend.safeParse(raw);
      if (!msg.success || msg.data.type !== 'init') return;
      clearTimeout(timer);
      process.off('message', onMessage);
      resolve(msg.data);
    };
    process.on('message', onMessage);
  });
}

async function startApi(session: Session, init: InitMessage, logger: Logger): Promise<ApiServer> {
  const options = {
    engine: session.engine,
    keys: [{ name: 'vscode', scope: 'admin' as const, key: init.admin_key }],
    logger,
    // Local tools find the port here (no key: they need their own or the one from "Copy API URL and Key").
    discoveryFile: join(dirname(init.store_path), 'api.json'),
  };
  try {
    return await startApiServer({ ...options, port: init.port });
  } catch (err) {
    if (!(err instanceof ApiConfigError) || init.port === 0) throw err;
    logger.warn(`${err.message}; listening on a free port instead (the extension is told which)`);
    return startApiServer({ ...options, port: 0 });
  }
}

class Backend {
  private stopping: Promise<void> | null = null;
  private server: ApiServer | null = null;
  private session: Session | null = null;

  constructor(private readonly logger: Logger) {}

  async start(init: InitMessage): Promise<void> {
    this.session = await openSession({
      defaultDbPath: init.store_path,
      logger: this.logger,
      otlpEndpoint: init.otlp_endpoint ?? null,
      workspacePath: init.workspace_name,
    });
    this.server = await startApi(this.session, init, this.logger);
    this.watchParent(init.parent_pid);
    send({ type: 'ready', port: this.server.port, url: this.server.url, pid: process.pid, store_path: this.session.storePath });
    this.logger.info(`backend ready: API on ${this.server.url}, store ${this.session.storePath}`);
  }

  /** Stops every job, flushes the store, lets the reaper go, exits. Idempotent. */
  shutdown(reason: string, code = 0): Promise<void> {
    this.stopping ??= (async () => {
      this.logger.info(`backend stopping: ${reason}`);
      setTimeout(() => process.exit(code || 1), SHUTDOWN_DEADLINE_MS).unref();
      try {
        await this.server?.close();
        await this.session?.close(reason);
      } catch (err) {
        this.logger.error(`backend shutdown failed: ${(err as Error).message}`);
        code ||= 1;
      }
      process.exit(code);
    })();
    return this.stopping;
  }

  private watchParent(parentPid: number): void {
    setInterval(() => {
      if (process.ppid !== parentPid) void this.shutdown(`the VS Code extension host (pid ${parentPid}) is gone`);
    }, PARENT_POLL_MS).unref();
  }
}

async function main(): Promise<void> {
  if (!process.send) {
    process.stderr.write('flowforge backend: start it from the FlowForge extension (for a standalone API use `flowforge serve`)\n');
    process.exit(2);
  }
  let level: IpcLogLevel = 'info';
  const logger = ipcLogger(() => level);
  // The editor's environment may hold a FlowForge key; jobs can read this process's initial block.
  const scrub = scrubInitialEnvironment(isOwnSecretVar);
  if (scrub.failure) logger.warn(`${scrub.failure}; jobs may read FlowForge keys from the backend's environment`);
  const backend = new Backend(logger);
  process.on('disconnect', () => void backend.shutdown('the VS Code window went away (IPC channel closed)'));
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, () => void backend.shutdown(`received ${sig}`));
  process.on('uncaughtException', (err) => {
    logger.error(`backend crashed: ${err.stack ?? err.message}`);
    void backend.shutdown('internal error', 70);
  });
  process.on('message', (raw: unknown) => {
    const msg = ToBackend.safeParse(raw);
    if (!msg.success) return;
    if (msg.data.type === 'shutdown') void backend.shutdown(msg.data.reason);
    else if (msg.data.type === 'log-level') level = msg.data.level;
  });
  try {
    const init = await waitForInit();
    level = init.log_level;
    await backend.start(init);
  } catch (err) {
    send({ type: 'fatal', message: redact((err as Error).message) });
    await backend.shutdown('could not start', 1);
  }
}

void main();
