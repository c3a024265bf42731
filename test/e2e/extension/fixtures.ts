// Workspaces for the FlowForge e2e suites: folders with a tasks.json that uses
// the shared reference corpus (../shared/corpus beside the repo), an npm
// script, and the helpers the suites share (host evaluation, processes).
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { eventually, repoRoot, type E2eSession } from '../harness';
import { pidsMatching, SHARED_CORPUS } from '../../helpers/processes';
import { buildHostBridge, buildHostBridgeVsix } from './hostBridge/build';

export const corpus = (file: string) => join(SHARED_CORPUS, file);

export type TaskJson = Record<string, unknown> & { label: string; type: string };

/** A folder with .vscode/tasks.json and a package.json; returns its path. */
export function makeFolder(name: string, tasks: TaskJson[], scripts: Record<string, string> = {}): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'ff-e2e-')), name);
  mkdirSync(join(dir, '.vscode'), { recursive: true });
  writeFileSync(join(dir, '.vscode', 'tasks.json'), JSON.stringify({ version: '2.0.0', tasks }, null, 2));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true, scripts }, null, 2));
  writeFileSync(join(dir, 'README.md'), `# ${name}\n`);
  return dir;
}

export const runawayTask = (label: string): TaskJson => ({ label, type: 'flowforge', command: 'python3', args: [corpus('R01_tight_loop.py')] });

/**
 * The extension under test: the repo itself (package.json + dist/), built
 * beforehand — or, with FLOWFORGE_E2E_VSIX=<file>, that packaged VSIX installed
 * with code-server's --install-extension (what a user installs). Beside it, the
 * test-only host bridge that attaches the host tests to FlowForge's internals
 * (the shipped bundle has no test hook), delivered the same way.
 */
export async function extensionUnderTest(): Promise<{ extensionPath: string[] } | { vsix: string[] }> {
  const vsix = process.env.FLOWFORGE_E2E_VSIX;
  if (vsix) {
    if (!existsSync(vsix)) throw new Error(`FLOWFORGE_E2E_VSIX=${vsix} does not exist: run \`npm run package\` first`);
    return { vsix: [vsix, await buildHostBridgeVsix()] };
  }
  for (const f of ['dist/extension.js', 'dist/backend.js', 'media/webview/panel.js']) {
    if (!existsSync(join(repoRoot, f))) throw new Error(`${f} is missing: run \`npm run build\` before the e2e tests`);
  }
  return { extensionPath: [repoRoot, await buildHostBridge()] };
}

/** Runs `code` in the extension host with `ff` = the extension's internals. */
export function inHost<T>(session: E2eSession, code: string, params: Record<string, unknown> = {}, timeoutMs = 30_000): Promise<T> {
  return session.host!.evaluate<T>(`const ff = ctx.extensionApi; ${code}`, { params, timeoutMs });
}

/** Starts a task of the workspace by its name (from the extension host) and resolves at once. */
export function startTask(session: E2eSession, name: string): Promise<void> {
  return inHost(
    session,
    `const t = (await vscode.tasks.fetchTasks()).find((t) => t.name === ctx.params.name);
     if (!t) throw new Error('no task ' + ctx.params.name);
     await vscode.tasks.executeTask(t);`,
    { name },
  );
}

/** The extension's LogOutputChannel file (FlowForge.log) of this session. */
export function flowforgeLog(session: E2eSession): string {
  const find = (dir: string): string | null => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) {
        const found = find(path);
        if (found) return found;
      } else if (entry === 'FlowForge.log') return path;
    }
    return null;
  };
  const file = find(join(session.server.userDataDir, 'logs'));
  return file ? readFileSync(file, 'utf8') : '';
}

/** The exit code a task's terminal ended with, as the extension logged it. */
export async function taskExitCode(session: E2eSession, name: string, timeoutMs: number): Promise<number> {
  const pattern = new RegExp(`task "${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}" ended with exit code (\\d+)`);
  const log = await eventually(() => flowforgeLog(session), (text) => pattern.test(text), { timeoutMs, intervalMs: 1000, message: `task "${name}" to end` });
  return Number(pattern.exec(log)![1]);
}

/** Live processes whose command line mentions a corpus file (the job, its children). */
export const jobProcesses = (file: string) => pidsMatching(file);

export const folderName = (path: string) => basename(path);
