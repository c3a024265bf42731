// `FlowForge: Copy API URL and Key`: for scripts and other tools on this
// machine. The key is an admin key (it can start and stop processes), so the
// person is told so before it lands on the clipboard.
import * as vscode from 'vscode';
import type { ApiClient } from '../backend/apiClient';

const COPY = 'Copy';

export async function copyApiUrlAndKey(client: ApiClient): Promise<boolean> {
  const choice = await vscode.window.showWarningMessage(
    'The FlowForge API key grants admin access: whoever has it can start and stop processes on this machine while this window is open. Copy the URL and key to the clipboard?',
    { modal: true },
    COPY,
  );
  if (choice !== COPY) return false;
  const { url, key } = await client.current();
  await vscode.env.clipboard.writeText(`FLOWFORGE_API_URL=${url}/v1\nFLOWFORGE_API_KEY=${key}\n`);
  void vscode.window.showInformationMessage('Copied FLOWFORGE_API_URL and FLOWFORGE_API_KEY. Clear the clipboard when you are done.');
  return true;
}
