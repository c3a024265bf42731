// Reads FlowForge's settings from VS Code (per folder where they are
// resource-scoped) and tells, once per distinct problem, when a hand-edited
// value is invalid and the default is used instead.
import * as vscode from 'vscode';
import type { Logger } from '../server/util/logger';
import { readFolderSettings, readWindowSettings, type FolderSettings, type WindowSettings } from './config';

export class Settings {
  private readonly reported = new Set<string>();

  constructor(private readonly logger: Logger) {}

  folder(folder: vscode.WorkspaceFolder | undefined): FolderSettings {
    return this.checked((problems) => readFolderSettings(vscode.workspace.getConfiguration('flowforge', folder?.uri), problems));
  }

  window(): WindowSettings {
    return this.checked((problems) => readWindowSettings(vscode.workspace.getConfiguration('flowforge'), problems));
  }

  private checked<T>(read: (problems: string[]) => T): T {
    const problems: string[] = [];
    const value = read(problems);
    for (const p of problems) {
      if (this.reported.has(p)) continue;
      this.reported.add(p);
      this.logger.warn(p);
      void vscode.window.showWarningMessage(`FlowForge: ${p}.`);
    }
    return value;
  }
}
