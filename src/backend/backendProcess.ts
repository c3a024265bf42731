// The backend process of this window: forked from the extension host with
// VS Code's own Node (ELECTRON_RUN_AS_NODE), handed its admin key over the IPC
// channel, and restarted with a capped backoff when it dies unexpectedly.
// Free of 'vscode' so it can be tested with real processes.
import { fork, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { FromBackend, type InitMessage, type IpcLogLevel, type ToBackend } from '../../server/shared/protocol/backendIpc';
import type { Logger } from '../../server/util/logger';
import { TypedEmitter } from '../../server/util/typedEmitter';
import type { Endpoint } from './apiClient';

export interface BackendInfo {
  url: string;
  port: number;
  pid: number;
  /** The store the backend writes (a fallback file when the usual one was busy). */
  storePath: string;
  /** 1 for the first backend of this window, +1 per restart. */
  generation: number;
  /** Milliseconds from fork to `ready` (store, reaper, engine and API up). */
  startMs: number;
}

export interface BackendExit {
  code: number | null;
  signal: string | null;
  /** What the backend said before it went (a failed start), if anything. */
  message: string | null;
  restartInMs: number;
}

export interface BackendProcessOptions {
  /** dist/backend.js */
  modulePath: string;
  storePath: string;
  /** 0 = any free port. */
  port: number;
  /** Base URL for the backend's OTLP export (`flowforge.telemetry.otlpEndpoint`); empty: the environment decides. */
  otlpEndpoint?: string;
  /** The window's workspace name (named by the export's resource). */
  workspaceName?: string;
  /** The admin key of each backend started (a restarted backend may get a new one). */
  apiKey: () => Promise<string>;
  logger: Logger;
  logLevel: IpcLogLevel;
  execPath?: string;
  /** Node flags of the backend (tests run it from source with a loader). */
  execArgv?: string[];
  readyTimeoutMs?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** A backend that stayed up this long was healthy: the next crash starts the backoff over. */
  healthyAfterMs?: number;
}

type Events = { ready: BackendInfo; exit: BackendExit };

export class BackendNotRunningError extends Error {}

export class BackendProcess {
  readonly events = new TypedEmitter<Events>();
  private child: ChildProcess | null = null;
  private info: BackendInfo | null = null;
  private key: string | null = null;
  private generation = 0;
  private readyAt = 0;
  private forkedAt = 0;
  private backoffMs: number;
  private restartTimer: NodeJS.Timeout | null = null;
  private lastMessage: string | null = null;
  private stopping = false;
  private logLevel: IpcLogLevel;

  constructor(private readonly o: BackendProcessOptions) {
    this.backoffMs = o.initialBackoffMs ?? 1000;
    this.logLevel = o.logLevel;
  }

  /** Forks the backend (not waiting for it). */
  start(): void {
    void this.spawn().catch((err: Error) => {
      this.lastMessage = err.message;
      this.o.logger.error(`could not start the FlowForge backend: ${err.message}`);
    });
  }

  get current(): BackendInfo | null {
    return this.info;
  }

  /** The running backend, or the next one to be ready. */
  ready(timeoutMs = this.o.readyTimeoutMs ?? 30_000): Promise<BackendInfo> {
    if (this.info) return Promise.resolve(this.info);
    if (this.stopping) return Promise.reject(new BackendNotRunningError('the FlowForge backend is shutting down'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        const why = this.lastMessage ? `: ${this.lastMessage}` : '';
        reject(new BackendNotRunningError(`the FlowForge backend did not start within ${Math.round(timeoutMs / 1000)} s${why}; see the FlowForge log`));
      }, timeoutMs);
      const off = this.events.on('ready', (info) => {
        clearTimeout(timer);
        off();
        resolve(info);
      });
    });
  }

  /** Where to send API requests, once the backend is ready. */
  async endpoint(): Promise<Endpoint> {
    const info = await this.ready();
    return { url: info.url, key: this.key! };
  }

  setLogLevel(level: IpcLogLevel): void {
    this.logLevel = level;
    this.send({ type: 'log-level', level });
  }

  /**
   * Asks the backend to stop every job and exit, and waits up to `timeoutMs`.
   * Then the IPC channel closes, which the backend treats the same way.
   */
  async shutdown(reason: string, timeoutMs = 4000): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    this.send({ type: 'shutdown', reason });
    await Promise.race([exited, new Promise((r) => setTimeout(r, timeoutMs))]);
    if (child.connected) child.disconnect();
  }

  private async spawn(): Promise<void> {
    // Only between backends (info is null) does the key change, so a request
    // waiting in endpoint() gets the key of the backend that answers it.
    this.key = await this.o.apiKey();
    if (this.stopping) return;
    this.lastMessage = null;
    this.forkedAt = performance.now();
    const child = fork(this.o.modulePath, [], {
      execPath: this.o.execPath ?? process.execPath,
      execArgv: this.o.execArgv ?? [],
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
    this.child = child;
    this.relay(child);
    child.on('message', (raw: unknown) => this.onMessage(child, raw));
    child.on('exit', (code, signal) => this.onExit(child, code, signal));
    child.on('error', (err) => {
      this.lastMessage = err.message;
      this.o.logger.error(`FlowForge backend process error: ${err.message}`);
    });
    const init: InitMessage = {
      type: 'init',
      admin_key: this.key,
      store_path: this.o.storePath,
      port: this.o.port,
      log_level: this.logLevel,
      parent_pid: process.pid,
      ...(this.o.otlpEndpoint ? { otlp_endpoint: this.o.otlpEndpoint } : {}),
      ...(this.o.workspaceName ? { workspace_name: this.o.workspaceName } : {}),
    };
    this.send(init);
  }

  private send(msg: ToBackend): void {
    const child = this.child;
    if (child?.connected) child.send(msg, (err) => err && this.o.logger.debug(`backend IPC send failed: ${err.message}`));
  }

  /** Anything the backend (or a library in it) prints goes to the log, never lost. */
  private relay(child: ChildProcess): void {
    const { logger } = this.o;
    for (const [stream, log] of [
      [child.stdout, (line: string) => logger.info(line)],
      [child.stderr, (line: string) => logger.warn(line)],
    ] as const) {
      if (stream) createInterface({ input: stream }).on('line', (line) => log(`[backend] ${line}`));
    }
  }

  private onMessage(child: ChildProcess, raw: unknown): void {
    const parsed = FromBackend.safeParse(raw);
    if (!parsed.success || child !== this.child) return;
    const msg = parsed.data;
    switch (msg.type) {
      case 'log':
        this.o.logger[msg.level](`[backend] ${msg.message}`);
        return;
      case 'fatal':
        this.lastMessage = msg.message;
        this.o.logger.error(`FlowForge backend could not start: ${msg.message}`);
        return;
      case 'ready':
        this.generation++;
        this.readyAt = Date.now();
        this.info = {
          url: msg.url,
          port: msg.port,
          pid: msg.pid,
          storePath: msg.store_path,
          generation: this.generation,
          startMs: Math.round(performance.now() - this.forkedAt),
        };
        this.events.emit('ready', this.info);
    }
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== this.child) return;
    this.child = null;
    this.info = null;
    if (this.stopping) {
      this.o.logger.info(`FlowForge backend exited (${describeExit(code, signal)})`);
      return;
    }
    if (this.readyAt && Date.now() - this.readyAt > (this.o.healthyAfterMs ?? 60_000)) this.backoffMs = this.o.initialBackoffMs ?? 1000;
    const restartInMs = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.o.maxBackoffMs ?? 30_000);
    this.readyAt = 0;
    this.o.logger.warn(`FlowForge backend stopped unexpectedly (${describeExit(code, signal)}); restarting in ${restartInMs} ms`);
    this.events.emit('exit', { code, signal, message: this.lastMessage, restartInMs });
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      this.start();
    }, restartInMs);
  }
}

export function describeExit(code: number | null, signal: string | null): string {
  return signal ? `signal ${signal}` : `exit code ${code ?? 'unknown'}`;
}
