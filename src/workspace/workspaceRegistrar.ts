// Every `file:` folder of the window is a workspace of the backend: registered
// when the backend is ready (again after a restart) and when folders are
// added, unregistered when they are removed, and kept in step with the
// folder's settings (profile, protection).
import * as vscode from 'vscode';
import type { Logger } from '../../server/util/logger';
import type { ApiClient } from '../backend/apiClient';
import type { Settings } from '../settings';
import { workspaceIdFor } from './workspaceId';

export interface RegisteredFolder {
  id: string;
  name: string;
  folder: vscode.WorkspaceFolder;
}

const supported = (f: vscode.WorkspaceFolder) => f.uri.scheme === 'file';

export class WorkspaceRegistrar implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  /** One chain of API calls per folder, so two changes never race each other. */
  private readonly queues = new Map<string, Promise<void>>();

  constructor(
    private readonly client: ApiClient,
    private readonly settings: Settings,
    private readonly logger: Logger,
  ) {
    this.disposables.push(
      vscode.workspace.onDidChangeWorkspaceFolders((e) => {
        for (const f of e.added.filter(supported)) void this.sync(f).catch(() => undefined);
        for (const f of e.removed.filter(supported)) void this.unregister(f).catch(() => undefined);
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        for (const f of this.folders()) {
          if (e.affectsConfiguration('flowforge.profile', f.folder) || e.affectsConfiguration('flowforge.protection.enabled', f.folder))
            void this.sync(f.folder).catch(() => undefined);
        }
      }),
    );
  }

  /** Registers every folder (at start, and when a new backend is ready). */
  syncAll(): void {
    for (const f of this.folders()) void this.sync(f.folder).catch(() => undefined);
  }

  folders(): RegisteredFolder[] {
    return (vscode.workspace.workspaceFolders ?? []).filter(supported).map((folder) => ({ id: this.idOf(folder), name: folder.name, folder }));
  }

  idOf(folder: vscode.WorkspaceFolder): string {
    return workspaceIdFor(folder.uri.toString());
  }

  /** The registered folder a task or terminal belongs to. */
  idFor(folder: vscode.WorkspaceFolder | undefined): string | undefined {
    return folder && supported(folder) ? this.idOf(folder) : undefined;
  }

  /** Waits until every change asked for so far has reached the backend. */
  async settled(): Promise<void> {
    await Promise.all([...this.queues.values()]);
  }

  /** Flips the folder's protection setting (at folder level) and applies it now. */
  async setProtection(folder: vscode.WorkspaceFolder, enabled: boolean): Promise<void> {
    await vscode.workspace.getConfiguration('flowforge', folder.uri).update('protection.enabled', enabled, vscode.ConfigurationTarget.WorkspaceFolder);
    await this.sync(folder);
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  private sync(folder: vscode.WorkspaceFolder): Promise<void> {
    return this.enqueue(folder, async () => {
      const id = this.idOf(folder);
      const s = this.settings.folder(folder);
      const { workspace } = await this.client.registerWorkspace({ workspace_id: id, workspace_path: folder.uri.fsPath, profile: s.profile, client: 'vscode' });
      if (workspace.protection_enabled !== s.protection) {
        const why = `flowforge.protection.enabled is ${s.protection} for ${folder.name} in VS Code`;
        await this.client.setProtection(id, s.protection, why);
      }
      this.logger.info(`workspace ${folder.name} registered as ${id} (profile ${s.profile}, protection ${s.protection ? 'on' : 'off'})`);
    });
  }

  private unregister(folder: vscode.WorkspaceFolder): Promise<void> {
    return this.enqueue(folder, async () => {
      const id = this.idOf(folder);
      await this.client.unregisterWorkspace(id, `folder ${folder.name} removed from the VS Code window`);
      this.logger.info(`workspace ${folder.name} (${id}) unregistered`);
    });
  }

  /** Runs after the folder's earlier work; the queue goes on whatever happens, the caller sees the error. */
  private enqueue(folder: vscode.WorkspaceFolder, work: () => Promise<void>): Promise<void> {
    const key = folder.uri.toString();
    const result = (this.queues.get(key) ?? Promise.resolve()).then(work);
    this.queues.set(
      key,
      result.catch((err: Error) => this.logger.warn(`workspace ${folder.name}: ${err.message}`)),
    );
    return result;
  }
}
