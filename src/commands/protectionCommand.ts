// `FlowForge: Toggle Protection for Folder`: turns protection off (runaways
// there only raise alerts) or on again for one folder, as a folder setting,
// and applies it in the backend at once.
import * as vscode from 'vscode';
import type { Settings } from '../settings';
import type { WorkspaceRegistrar } from '../workspace/workspaceRegistrar';

export async function toggleProtection(registrar: WorkspaceRegistrar, settings: Settings, folderArg?: vscode.WorkspaceFolder): Promise<void> {
  const folders = registrar.folders();
  if (folders.length === 0) {
    void vscode.window.showInformationMessage('FlowForge protection is set per folder; open a folder first.');
    return;
  }
  let folder = folderArg ?? (folders.length === 1 ? folders[0]!.folder : undefined);
  if (!folder) {
    const picked = await vscode.window.showQuickPick(
      folders.map((f) => ({
        label: f.name,
        description: settings.folder(f.folder).protection ? 'protected: runaways are stopped' : 'protection off: runaways only alert',
        folder: f.folder,
      })),
      { title: 'FlowForge: Toggle Protection for Folder', placeHolder: 'Which folder?' },
    );
    folder = picked?.folder;
  }
  if (!folder) return;
  const enabled = !settings.folder(folder).protection;
  try {
    await registrar.setProtection(folder, enabled);
  } catch (err) {
    void vscode.window.showWarningMessage(`FlowForge could not change protection for ${folder.name}: ${(err as Error).message}`);
    return;
  }
  void vscode.window.showInformationMessage(
    enabled
      ? `FlowForge protection is on for ${folder.name}: runaway jobs there are stopped (or restarted).`
      : `FlowForge protection is off for ${folder.name}: runaway jobs there only raise alerts (the evidence is still recorded).`,
  );
}
