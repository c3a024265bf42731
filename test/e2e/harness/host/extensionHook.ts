// The only harness code an extension under test carries: a test-only extension
// (the probe, or FlowForge's host bridge in test/e2e/extension/hostBridge) calls it
// at the end of its activate(). The shipped FlowForge bundle never contains it (a
// dependency-cruiser rule forbids product code to import test/). It does nothing
// unless code-server was started with FLOWFORGE_E2E_HOST_TESTS (the extension host
// inherits code-server's environment).
//
//   import * as vscode from 'vscode';
//   import { attachHostTests } from '.../test/e2e/harness/host/extensionHook';
//   export function activate(context: vscode.ExtensionContext) {
//     ...
//     attachHostTests(vscode, context, internals);
//   }
import type * as vscodeApi from 'vscode';
import type { HostAttachment } from './hostRunner';
import { hostEnv } from './protocol';

export function attachHostTests(vscode: typeof vscodeApi, extensionContext: vscodeApi.ExtensionContext, extensionApi?: unknown): void {
  const bundle = process.env[hostEnv.bundle];
  if (!bundle) return;
  // A runtime require of a path known only at run time: esbuild leaves it alone, so the
  // test bundle is never part of the extension's own bundle.
  const hostTests = require(bundle) as { attach(host: HostAttachment): { dispose(): void } };
  extensionContext.subscriptions.push(hostTests.attach({ vscode, extensionContext, extensionApi }));
}
