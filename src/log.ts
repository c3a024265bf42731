// The extension's log: a LogOutputChannel ("FlowForge" in the Output view),
// behind the backend's Logger interface so the same code logs on both sides.
// Lines are redacted here as in the backend: a command line or a reason may
// carry a token.
import * as vscode from 'vscode';
import type { IpcLogLevel } from '../server/shared/protocol/backendIpc';
import { redact } from '../server/shared/redact';
import type { Logger } from '../server/util/logger';

export function channelLogger(channel: vscode.LogOutputChannel): Logger {
  const line = (msg: string, fields?: Record<string, unknown>) => redact(fields && Object.keys(fields).length ? `${msg} ${JSON.stringify(fields)}` : msg);
  return {
    debug: (msg, fields) => channel.debug(line(msg, fields)),
    info: (msg, fields) => channel.info(line(msg, fields)),
    warn: (msg, fields) => channel.warn(line(msg, fields)),
    error: (msg, fields) => channel.error(line(msg, fields)),
  };
}

/** The backend logs what the channel would show (Developer: Set Log Level… → FlowForge). */
export function backendLogLevel(level: vscode.LogLevel): IpcLogLevel {
  switch (level) {
    case vscode.LogLevel.Trace:
    case vscode.LogLevel.Debug:
      return 'debug';
    case vscode.LogLevel.Info:
      return 'info';
    case vscode.LogLevel.Warning:
      return 'warn';
    default:
      return 'error';
  }
}
