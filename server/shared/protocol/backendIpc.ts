// The IPC channel between the VS Code extension and the backend process it
// forks (server/backend.ts). Only the handshake and the process's life go
// through it: the admin key (never argv or env, both readable by other
// processes of the user and inherited by jobs), the port the API listens on,
// log lines and shutdown. Everything else is the /v1 API.
import { z } from 'zod';

export const IpcLogLevel = z.enum(['debug', 'info', 'warn', 'error']);
export type IpcLogLevel = z.infer<typeof IpcLogLevel>;

// ---- extension → backend ---------------------------------------------------

export const InitMessage = z.strictObject({
  type: z.literal('init'),
  /** The admin key the API accepts (named `vscode`; audit rows say `api:vscode`). */
  admin_key: z.string().min(16),
  /** The evidence store file; a busy one falls back to a file of the backend's own. */
  store_path: z.string().min(1),
  /** 0 = any free port on 127.0.0.1. */
  port: z.number().int().min(0).max(65535),
  log_level: IpcLogLevel,
  /** The extension host's pid: the backend exits when its parent is no longer this process. */
  parent_pid: z.number().int().positive(),
  /** `flowforge.telemetry.otlpEndpoint`: base URL of FlowForge's own OTLP/HTTP export (absent: the environment decides). */
  otlp_endpoint: z.string().max(2048).optional(),
  /** The window's workspace name, which the export's resource names (`flowforge.workspace`). */
  workspace_name: z.string().max(256).optional(),
});
export type InitMessage = z.infer<typeof InitMessage>;

export const ShutdownMessage = z.strictObject({ type: z.literal('shutdown'), reason: z.string().max(200) });
export const LogLevelMessage = z.strictObject({ type: z.literal('log-level'), level: IpcLogLevel });

export const ToBackend = z.discriminatedUnion('type', [InitMessage, ShutdownMessage, LogLevelMessage]);
export type ToBackend = z.infer<typeof ToBackend>;

// ---- backend → extension ---------------------------------------------------

export const ReadyMessage = z.strictObject({
  type: z.literal('ready'),
  port: z.number().int(),
  url: z.string(),
  pid: z.number().int(),
  store_path: z.string(),
});
export type ReadyMessage = z.infer<typeof ReadyMessage>;

export const LogMessage = z.strictObject({ type: z.literal('log'), level: IpcLogLevel, message: z.string() });
export type LogMessage = z.infer<typeof LogMessage>;

/** The backend could not start (store, port, keys); it exits right after. */
export const FatalMessage = z.strictObject({ type: z.literal('fatal'), message: z.string() });

export const FromBackend = z.discriminatedUnion('type', [ReadyMessage, LogMessage, FatalMessage]);
export type FromBackend = z.infer<typeof FromBackend>;
