// The window's connection to its backend: the process (forked, restarted),
// the API client and the event stream, wired so that a restarted backend is
// used at once (new port) and its event stream resumes where the old one was.
import * as vscode from 'vscode';
import { join } from 'node:path';
import type { Logger } from '../../server/util/logger';
import { backendLogLevel } from '../log';
import { ApiClient } from './apiClient';
import { forgetStoredApiKey, sessionApiKey } from './apiKey';
import { BackendEvents } from './backendEvents';
import { BackendProcess, describeExit, type BackendInfo } from './backendProcess';

export interface BackendConnection {
  process: BackendProcess;
  client: ApiClient;
  events: BackendEvents;
  /** Every time a backend is ready (the first one and each restart). */
  onReady(fn: (info: BackendInfo) => void): vscode.Disposable;
  dispose(): void;
}

/** The store of this window: workspace storage, or global storage when no folder is open. */
export function storePathOf(context: vscode.ExtensionContext): string {
  return join((context.storageUri ?? context.globalStorageUri).fsPath, 'flowforge.db');
}

export function connectBackend(
  context: vscode.ExtensionContext,
  channel: vscode.LogOutputChannel,
  logger: Logger,
  window: { apiPort: number; otlpEndpoint: string },
): BackendConnection {
  const backend = new BackendProcess({
    modulePath: context.asAbsolutePath('dist/backend.js'),
    storePath: storePathOf(context),
    port: window.apiPort,
    otlpEndpoint: window.otlpEndpoint,
    workspaceName: vscode.workspace.name,
    apiKey: sessionApiKey,
    logger,
    logLevel: backendLogLevel(channel.logLevel),
  });
  const client = new ApiClient(() => backend.endpoint());
  const events = new BackendEvents(() => backend.endpoint(), logger);
  const offReady = backend.events.on('ready', (info) => events.attach(info));
  const offExit = backend.events.on('exit', (exit) => {
    const detail = exit.message ? `: ${exit.message}` : '';
    void vscode.window.showWarningMessage(
      `FlowForge backend stopped unexpectedly (${describeExit(exit.code, exit.signal)})${detail}; restarting in ${Math.round(exit.restartInMs / 100) / 10} s.`,
    );
  });
  const levelChange = channel.onDidChangeLogLevel((level) => backend.setLogLevel(backendLogLevel(level)));
  backend.start();
  void forgetStoredApiKey(context.secrets, logger);
  return {
    process: backend,
    client,
    events,
    onReady: (fn) => new vscode.Disposable(backend.events.on('ready', fn)),
    dispose: () => {
      offReady();
      offExit();
      levelChange.dispose();
      events.dispose();
    },
  };
}
