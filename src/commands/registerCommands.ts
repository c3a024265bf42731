// The palette commands (category "FlowForge", listed in package.json) and the internal ones.
// Commands that start, stop or expose control over processes check workspace
// trust in the handler as well as in their `when` clause: a command can be
// run even when the palette hides it.
import * as vscode from 'vscode';
import type { Logger } from '../../server/util/logger';
import type { ApiClient } from '../backend/apiClient';
import type { BackendEvents } from '../backend/backendEvents';
import type { Settings } from '../settings';
import type { FlowforgeTaskProvider } from '../tasks/flowforgeTaskProvider';
import { superviseTask } from '../tasks/superviseTaskCommand';
import type { WorkspaceRegistrar } from '../workspace/workspaceRegistrar';
import { copyApiUrlAndKey } from './copyApiKeyCommand';
import { restartJob, stopJob } from './jobCommands';
import { toggleProtection } from './protectionCommand';
import { runDemo } from './runDemoCommand';

export interface CommandDeps {
  client: ApiClient;
  events: BackendEvents;
  registrar: WorkspaceRegistrar;
  settings: Settings;
  taskProvider: FlowforgeTaskProvider;
  showIncidents(incidentId?: string): void;
  logger: Logger;
}

type Handler = (...args: never[]) => unknown;

export function registerCommands(d: CommandDeps): vscode.Disposable[] {
  const commands: Record<string, { run: Handler; trusted: boolean }> = {
    'flowforge.superviseTask': { trusted: true, run: () => superviseTask(d.taskProvider) },
    'flowforge.showIncidents': { trusted: false, run: () => d.showIncidents() },
    'flowforge.showIncident': { trusted: false, run: (incidentId?: string) => d.showIncidents(incidentId) },
    'flowforge.stopJob': { trusted: true, run: (runId?: string) => stopJob(d.client, runId) },
    'flowforge.restartJob': { trusted: true, run: (runId?: string) => restartJob(d.client, runId) },
    'flowforge.toggleProtection': { trusted: true, run: (folder?: vscode.WorkspaceFolder) => toggleProtection(d.registrar, d.settings, folder) },
    'flowforge.copyApiKey': { trusted: true, run: () => copyApiUrlAndKey(d.client) },
    'flowforge.runDemo': { trusted: true, run: () => runDemo(d.client, d.events, d.showIncidents) },
  };
  return Object.entries(commands).map(([id, { run, trusted }]) =>
    vscode.commands.registerCommand(id, async (...args: never[]) => {
      if (trusted && !vscode.workspace.isTrusted) {
        void vscode.window.showWarningMessage('FlowForge starts and stops processes, so it works only in a trusted workspace.');
        return undefined;
      }
      try {
        return await run(...args);
      } catch (err) {
        d.logger.error(`${id} failed: ${(err as Error).stack ?? (err as Error).message}`);
        void vscode.window.showErrorMessage(`FlowForge: ${(err as Error).message}`);
        return undefined;
      }
    }),
  );
}
