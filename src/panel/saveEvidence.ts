// Writes an evidence bundle the backend returned into a folder the person
// picks in a save dialog. The editor writes it, not the backend: an API
// request never names a path on the machine.
import * as vscode from 'vscode';
import type { EvidenceBundle } from '../../server/shared/protocol/api';

function defaultFolder(): vscode.Uri | undefined {
  return vscode.workspace.workspaceFolders?.[0]?.uri;
}

/** Fails when the chosen path already holds anything: an export never mixes with or overwrites files. */
async function ensureEmptyFolder(uri: vscode.Uri): Promise<void> {
  let entries: [string, vscode.FileType][];
  try {
    entries = await vscode.workspace.fs.readDirectory(uri);
  } catch (err) {
    if (err instanceof vscode.FileSystemError && err.code === 'FileNotFound') return vscode.workspace.fs.createDirectory(uri);
    throw new Error(`${uri.fsPath} cannot be used as the bundle's folder (${(err as Error).message}); choose a new folder name`);
  }
  if (entries.length > 0) throw new Error(`${uri.fsPath} is not empty; choose a new folder name`);
}

export async function saveEvidence(suggestedName: string, files: EvidenceBundle['files']): Promise<string | null> {
  const base = defaultFolder();
  const uri = await vscode.window.showSaveDialog({
    title: 'Export evidence: name a new folder for the signed bundle',
    saveLabel: 'Export',
    defaultUri: base ? vscode.Uri.joinPath(base, suggestedName) : undefined,
  });
  if (!uri) return null;
  await ensureEmptyFolder(uri);
  // Names were checked against the bundle's file-name rule when the answer was parsed: plain names only.
  for (const f of files) await vscode.workspace.fs.writeFile(vscode.Uri.joinPath(uri, f.name), Buffer.from(f.content, 'utf8'));
  return uri.fsPath;
}
