// The `flowforge` task type: resolves tasks.json entries of the type, and
// offers each folder's npm scripts and shell/process tasks as supervised
// variants ("<name> (FlowForge)"). Every one runs in a CustomExecution whose
// definition is checked again at run time (variables substituted by then).
import * as vscode from 'vscode';
import type { Logger } from '../../server/util/logger';
import type { Settings } from '../settings';
import type { WorkspaceRegistrar } from '../workspace/workspaceRegistrar';
import { definitionFor, npmScriptCommand, type ExecutionLike } from './commandLine';
import { MessagePty } from './messagePty';
import { SupervisedPty, type PtyDeps } from './supervisedPty';
import { checkTaskDefinition, describeDefinitionProblems, startRunBody, TASK_TYPE, type FlowforgeTaskDefinition } from './taskDefinition';

export const TASK_SOURCE = 'FlowForge';

export interface TaskProviderDeps {
  pty: PtyDeps;
  registrar: WorkspaceRegistrar;
  settings: Settings;
  logger: Logger;
}

type Scope = vscode.WorkspaceFolder | vscode.TaskScope;

const isFolder = (scope: Scope | undefined): scope is vscode.WorkspaceFolder => typeof scope === 'object' && scope !== null && 'uri' in scope;

/** A VS Code task's execution in the terms of commandLine.ts, or null when FlowForge cannot start it itself. */
export function executionOf(task: vscode.Task): ExecutionLike | null {
  const e = task.execution;
  if (e instanceof vscode.ShellExecution) {
    return { kind: 'shell', commandLine: e.commandLine, command: e.command, args: e.args, cwd: e.options?.cwd, env: e.options?.env };
  }
  if (e instanceof vscode.ProcessExecution) return { kind: 'process', process: e.process, args: e.args, cwd: e.options?.cwd, env: e.options?.env };
  return null;
}

export class FlowforgeTaskProvider implements vscode.TaskProvider, vscode.Disposable {
  private readonly cache = new Map<string, Promise<vscode.Task[]>>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly deps: TaskProviderDeps) {
    const watcher = vscode.workspace.createFileSystemWatcher('**/{package.json,.vscode/tasks.json}');
    const forget = (uri: vscode.Uri) => {
      const folder = vscode.workspace.getWorkspaceFolder(uri);
      if (folder) this.cache.delete(folder.uri.toString());
    };
    this.disposables.push(
      watcher,
      watcher.onDidChange(forget),
      watcher.onDidCreate(forget),
      watcher.onDidDelete(forget),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.cache.clear()),
    );
  }

  provideTasks(): Promise<vscode.Task[]> {
    const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
    return Promise.all(folders.map((f) => this.folderTasks(f))).then((lists) => lists.flat());
  }

  /** A tasks.json entry of type `flowforge`: same definition object, our execution. */
  resolveTask(task: vscode.Task): vscode.Task {
    return this.taskFor(task.definition, task.scope as Scope, task.name);
  }

  /** A `flowforge` task (from tasks.json, a provided variant, or Supervise Task). */
  taskFor(definition: vscode.TaskDefinition, scope: Scope | undefined, name: string): vscode.Task {
    const execution = new vscode.CustomExecution(async (resolved) => this.terminalFor(resolved, scope, name));
    const task = new vscode.Task(definition, scope ?? vscode.TaskScope.Workspace, name, TASK_SOURCE, execution, []);
    task.detail = typeof definition.command === 'string' ? `Run under FlowForge: ${definition.command}` : 'Run under FlowForge';
    return task;
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  private terminalFor(resolved: vscode.TaskDefinition, scope: Scope | undefined, name: string): vscode.Pseudoterminal {
    if (!vscode.workspace.isTrusted) {
      return new MessagePty([
        `FlowForge does not run "${name}": this workspace is not trusted.`,
        'FlowForge starts and stops the processes a workspace defines; trust the workspace first (Workspaces: Manage Workspace Trust).',
      ]);
    }
    const check = checkTaskDefinition(resolved);
    if (!check.ok) {
      this.deps.logger.warn(`task "${name}" has an invalid definition: ${check.problems.join(' ')}`);
      return new MessagePty(describeDefinitionProblems(name, check.problems));
    }
    const folder = isFolder(scope) ? scope : vscode.workspace.workspaceFolders?.[0];
    const body = startRunBody(check.value, {
      folderPath: folder?.uri.scheme === 'file' ? folder.uri.fsPath : undefined,
      workspaceId: this.deps.registrar.idFor(folder),
      settings: this.deps.settings.folder(folder),
      taskName: name,
    });
    return new SupervisedPty(this.deps.pty, body);
  }

  private folderTasks(folder: vscode.WorkspaceFolder): Promise<vscode.Task[]> {
    const key = folder.uri.toString();
    let tasks = this.cache.get(key);
    if (!tasks) {
      tasks = Promise.all([this.npmTasks(folder), this.wrappedTasks(folder)]).then(([a, b]) => [...a, ...b]);
      tasks.catch(() => this.cache.delete(key));
      this.cache.set(key, tasks);
    }
    return tasks;
  }

  private async npmTasks(folder: vscode.WorkspaceFolder): Promise<vscode.Task[]> {
    let scripts: Record<string, unknown> = {};
    try {
      const json = JSON.parse(new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(folder.uri, 'package.json'))));
      scripts = typeof json?.scripts === 'object' && json.scripts !== null ? json.scripts : {};
    } catch {
      return []; // no package.json, or not JSON: nothing to offer
    }
    return Object.keys(scripts).map((script) => {
      const name = `npm: ${script} (FlowForge)`;
      const def: FlowforgeTaskDefinition = { type: TASK_TYPE, command: npmScriptCommand(script), shell: true, name: `npm: ${script}` };
      return this.taskFor(def, folder, name);
    });
  }

  /** The folder's own shell and process tasks (tasks.json), wrapped. */
  private async wrappedTasks(folder: vscode.WorkspaceFolder): Promise<vscode.Task[]> {
    const found = (await Promise.all([vscode.tasks.fetchTasks({ type: 'shell' }), vscode.tasks.fetchTasks({ type: 'process' })])).flat();
    const out: vscode.Task[] = [];
    for (const task of found) {
      const execution = executionOf(task);
      if (!execution || !isFolder(task.scope as Scope) || (task.scope as vscode.WorkspaceFolder).uri.toString() !== folder.uri.toString()) continue;
      out.push(this.taskFor(definitionFor(execution, task.name), folder, `${task.name} (FlowForge)`));
    }
    return out;
  }
}
