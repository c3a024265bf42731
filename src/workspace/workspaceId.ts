// A folder's workspace id: a stable hash of its URI, so the same folder keeps
// its id (and its history in the store) across windows and restarts.
import { createHash } from 'node:crypto';

export function workspaceIdFor(folderUri: string): string {
  return `vscode-${createHash('sha256').update(folderUri).digest('hex').slice(0, 20)}`;
}
