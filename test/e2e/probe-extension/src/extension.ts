// The probe: the smallest extension that exercises every surface the FlowForge e2e
// tests need (palette command + notification action, CustomExecution task on a
// Pseudoterminal with an exit code, status bar item, webview with a button, a child
// process that must not outlive the extension host) and the in-host test channel.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { attachHostTests } from '../../harness/host/extensionHook';

/** What host tests see as ctx.extensionApi. */
export interface ProbeApi {
  /** Exit codes of finished probe tasks, in order. */
  taskExits: number[];
  pressCount(): number;
  sleeperPids(): number[];
}

interface ProbeTaskDefinition extends vscode.TaskDefinition {
  lines: number;
  exitCode?: number;
}

const sleepers = new Set<ChildProcess>();

function echoPty(def: ProbeTaskDefinition, onExit: (code: number) => void): vscode.Pseudoterminal {
  const write = new vscode.EventEmitter<string>();
  const close = new vscode.EventEmitter<number>();
  const code = def.exitCode ?? 0;
  return {
    onDidWrite: write.event,
    onDidClose: close.event,
    open() {
      for (let i = 1; i <= def.lines; i++) write.fire(`probe line ${i} of ${def.lines}\r\n`);
      write.fire(`probe task done, exiting with ${code}\r\n`);
      // Close a moment after the last write: xterm writes are asynchronous (vscode#92868).
      setTimeout(() => {
        onExit(code);
        close.fire(code);
      }, 100);
    },
    close() {
      // Nothing to stop: the task finishes on its own.
    },
  };
}

function probeTask(api: ProbeApi): vscode.Task {
  const def: ProbeTaskDefinition = { type: 'probe', lines: 3, exitCode: 3 };
  const execution = new vscode.CustomExecution(async (resolved) =>
    echoPty(resolved as ProbeTaskDefinition, (code) => api.taskExits.push(code)),
  );
  return new vscode.Task(def, vscode.TaskScope.Workspace, 'echo-and-exit', 'probe', execution, []);
}

function panelHtml(webview: vscode.Webview): string {
  const nonce = randomBytes(16).toString('base64');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${webview.cspSource}; script-src 'nonce-${nonce}';">
<title>Probe Panel</title></head>
<body>
  <h1>Probe Panel</h1>
  <button id="press">Press me</button>
  <p id="count">pressed 0</p>
  <script nonce="${nonce}">
    const vscode = acquireVsCodeApi();
    document.getElementById('press').addEventListener('click', () => vscode.postMessage({ type: 'pressed' }));
    window.addEventListener('message', (e) => {
      if (e.data.type === 'count') document.getElementById('count').textContent = 'pressed ' + e.data.value;
    });
  </script>
</body></html>`;
}

export function activate(context: vscode.ExtensionContext): ProbeApi {
  let presses = 0;
  const api: ProbeApi = {
    taskExits: [],
    pressCount: () => presses,
    sleeperPids: () => [...sleepers].map((c) => c.pid).filter((p): p is number => p !== undefined),
  };

  const status = vscode.window.createStatusBarItem('probe.status', vscode.StatusBarAlignment.Left, 100);
  status.name = 'Probe Status';
  status.text = '$(beaker) Probe ready';
  status.tooltip = 'Open the probe panel';
  status.command = 'probe.showPanel';
  status.show();

  const showPanel = () => {
    const panel = vscode.window.createWebviewPanel('probe.panel', 'Probe Panel', vscode.ViewColumn.One, { enableScripts: true });
    panel.webview.html = panelHtml(panel.webview);
    panel.webview.onDidReceiveMessage((msg: { type?: string }) => {
      if (msg.type !== 'pressed') return;
      presses++;
      status.text = `$(beaker) Probe pressed ${presses}`;
      void panel.webview.postMessage({ type: 'count', value: presses });
    });
  };

  context.subscriptions.push(
    status,
    vscode.commands.registerCommand('probe.hello', async () => {
      const choice = await vscode.window.showInformationMessage('Hello from the probe', 'Count');
      if (choice === 'Count') status.text = '$(beaker) Probe counted';
    }),
    vscode.commands.registerCommand('probe.showPanel', showPanel),
    vscode.commands.registerCommand('probe.startSleeper', () => {
      // Stands in for a supervised job: a child of the extension host.
      const child = spawn('sleep', ['600'], { stdio: 'ignore' });
      sleepers.add(child);
      child.on('exit', () => sleepers.delete(child));
      return child.pid;
    }),
    vscode.tasks.registerTaskProvider('probe', {
      provideTasks: () => [probeTask(api)],
      resolveTask: () => undefined,
    }),
  );

  // Extension-host console output is forwarded to the browser console (browser-console.log in e2e artefacts).
  console.log(`[probe] activated in extension host ${process.pid}`);
  attachHostTests(vscode, context, api);
  return api;
}

export function deactivate(): void {
  for (const child of sleepers) child.kill('SIGKILL');
}
