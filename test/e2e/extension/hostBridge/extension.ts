// The test-only entry around FlowForge's activate(). The shipped extension has no
// test hook; this companion extension, loaded only by the e2e suites, depends on
// FlowForge (so VS Code activates FlowForge first), takes what FlowForge's
// activate() returned — its internals, `ctx.extensionApi` in host tests — and
// attaches the in-host test channel to them.
import * as vscode from 'vscode';
import { attachHostTests } from '../../harness/host/extensionHook';

const FLOWFORGE_ID = 'flowforge-labs.flowforge';

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const flowforge = vscode.extensions.getExtension(FLOWFORGE_ID);
  if (!flowforge) throw new Error(`the e2e host bridge needs ${FLOWFORGE_ID} installed beside it`);
  const internals: unknown = await flowforge.activate();
  attachHostTests(vscode, context, internals);
}
