// `FlowForge: Supervise Task`: pick any task of the workspace and run it
// under FlowForge with its folder's profile. Shell and process tasks can be
// wrapped; others (a CustomExecution runs inside another extension) are
// listed with the reason they cannot.
import * as vscode from 'vscode';
import { definitionFor } from './commandLine';
import { executionOf, type FlowforgeTaskProvider } from './flowforgeTaskProvider';
import { TASK_TYPE } from './taskDefinition';

interface TaskItem extends vscode.QuickPickItem {
  task?: vscode.Task;
  why?: string;
}

const CANNOT_WRAP = 'runs inside another extension; FlowForge can only wrap commands it can start itself';

function folderName(task: vscode.Task): string | undefined {
  const scope = task.scope;
  return typeof scope === 'object' && scope !== null && 'name' in scope ? scope.name : undefined;
}

export async function superviseTask(provider: FlowforgeTaskProvider): Promise<vscode.TaskExecution | undefined> {
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage('FlowForge supervises tasks only in a trusted workspace.');
    return undefined;
  }
  const tasks = (await vscode.tasks.fetchTasks()).filter((t) => t.definition.type !== TASK_TYPE);
  const wrappable: TaskItem[] = [];
  const others: TaskItem[] = [];
  for (const task of tasks) {
    const execution = executionOf(task);
    const where = [task.source, folderName(task)].filter(Boolean).join(' · ');
    if (execution) {
      const what = execution.kind === 'shell' ? definitionFor(execution, task.name).command : [execution.process, ...execution.args].join(' ');
      wrappable.push({ label: task.name, description: where, detail: what, task });
    } else {
      others.push({ label: `$(circle-slash) ${task.name}`, description: where, detail: `Cannot be supervised: it ${CANNOT_WRAP}.`, why: CANNOT_WRAP });
    }
  }
  if (wrappable.length + others.length === 0) {
    void vscode.window.showInformationMessage('This workspace has no tasks yet. Add one to .vscode/tasks.json (any shell task works), or an npm script.');
    return undefined;
  }
  const items: TaskItem[] = [...wrappable, ...(others.length ? [{ label: 'Cannot be supervised', kind: vscode.QuickPickItemKind.Separator }, ...others] : [])];
  const picked = await vscode.window.showQuickPick(items, {
    title: 'FlowForge: Supervise Task',
    placeHolder: 'Pick a task to run under FlowForge (its folder’s profile applies)',
    matchOnDescription: true,
    matchOnDetail: true,
  });
  if (!picked) return undefined;
  if (!picked.task) {
    void vscode.window.showInformationMessage(`"${picked.label.replace(/^\$\([^)]*\) /, '')}" ${picked.why}.`);
    return undefined;
  }
  const execution = executionOf(picked.task)!;
  const scope = picked.task.scope;
  const folder = typeof scope === 'object' && scope !== null && 'uri' in scope ? scope : undefined;
  const task = provider.taskFor(definitionFor(execution, picked.task.name), folder, `${picked.task.name} (FlowForge)`);
  task.presentationOptions = { ...picked.task.presentationOptions, reveal: vscode.TaskRevealKind.Always };
  return vscode.tasks.executeTask(task);
}
