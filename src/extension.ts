// FlowForge in VS Code: activate() composes the parts and returns at once
// (the backend starts in the background); deactivate() asks the backend to
// stop every job and waits briefly — the backend also stops by itself when
// the IPC channel to this extension host closes.
import * as vscode from 'vscode';
import { connectBackend } from './backend/backendConnection';
import { ApiPanelBackend } from './backend/panelBackend';
import { registerCommands } from './commands/registerCommands';
import { channelLogger } from './log';
import { InterventionNotifier } from './notifications/interventionNotifier';
import { IncidentPanel } from './panel/incidentPanel';
import { Settings } from './settings';
import { RunawayStatusItem } from './status/runawayStatusItem';
import { FlowforgeTaskProvider } from './tasks/flowforgeTaskProvider';
import { TASK_TYPE } from './tasks/taskDefinition';
import { SupervisedTerminals } from './terminal/supervisedTerminalProfile';
import { WorkspaceRegistrar } from './workspace/workspaceRegistrar';

/** Our key's name in the backend: audit rows of actions taken from VS Code say `api:vscode`. */
const ACTOR = 'api:vscode';
const DEACTIVATE_WAIT_MS = 4000;

let stopBackend: (() => Promise<void>) | undefined;

export function activate(context: vscode.ExtensionContext) {
  const started = performance.now();
  const channel = vscode.window.createOutputChannel('FlowForge', { log: true });
  const logger = channelLogger(channel);
  const settings = new Settings(logger);
  const backend = connectBackend(context, channel, logger, settings.window());
  const { client, events } = backend;
  stopBackend = () => backend.process.shutdown('the VS Code window is closing', DEACTIVATE_WAIT_MS);

  const registrar = new WorkspaceRegistrar(client, settings, logger);
  const status = new RunawayStatusItem(client, events, logger);
  const panelBackend = new ApiPanelBackend(client, events, registrar);
  const showIncidents = (incidentId?: string) => {
    status.acknowledge();
    IncidentPanel.createOrShow(context.extensionUri, panelBackend, { incidentId, logger });
  };
  const endpoint = () => backend.process.endpoint();
  const taskProvider = new FlowforgeTaskProvider({ pty: { client, events, endpoint, logger, actor: ACTOR }, registrar, settings, logger });
  const terminals = new SupervisedTerminals({ client, registrar, settings, logger });

  context.subscriptions.push(
    channel,
    backend,
    registrar,
    status,
    taskProvider,
    terminals,
    vscode.tasks.registerTaskProvider(TASK_TYPE, taskProvider),
    IncidentPanel.register(context, panelBackend, logger),
    new InterventionNotifier(client, events, settings, showIncidents, logger),
    backend.onReady((info) => {
      status.setBackendState('ready');
      registrar.syncAll();
      logger.info(`backend ${info.generation} ready in ${info.startMs} ms (pid ${info.pid}, ${info.url}, store ${info.storePath})`);
    }),
    new vscode.Disposable(backend.process.events.on('exit', () => status.setBackendState('restarting'))),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('flowforge.api.port')) void vscode.window.showInformationMessage('FlowForge uses the new API port after a window reload.');
      if (e.affectsConfiguration('flowforge.telemetry.otlpEndpoint')) void vscode.window.showInformationMessage('FlowForge uses the new OpenTelemetry endpoint after a window reload.');
    }),
    ...registerCommands({ client, events, registrar, settings, taskProvider, showIncidents, logger }),
  );

  const activationMs = Math.round((performance.now() - started) * 10) / 10;
  logger.info(`FlowForge activated in ${activationMs} ms`);
  // The extension's exports: the e2e suites reach FlowForge's parts through them (test/e2e/extension/hostBridge).
  return { backend, client, events, registrar, status, taskProvider, terminals, activationMs };
}

export type FlowforgeInternals = ReturnType<typeof activate>;

export function deactivate(): Promise<void> | undefined {
  return stopBackend?.();
}
