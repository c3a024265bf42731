// Host-side tests of the probe: they run inside the real extension host (full vscode
// API) and report back through the harness channel. Written like mocha tests; each test
// receives the context (vscode, the extension's context and API, request params).
import * as assert from 'node:assert/strict';
import { describe, it } from '../../harness/host/hostRunner';
import type { ProbeApi } from '../src/extension';

describe('probe, inside the extension host', () => {
  it('sees exactly one workspace folder, as a file: URI', ({ vscode }) => {
    const folders = vscode.workspace.workspaceFolders ?? [];
    assert.equal(folders.length, 1);
    assert.equal(folders[0]!.uri.scheme, 'file');
  });

  it('registers its commands', async ({ vscode }) => {
    const all = await vscode.commands.getCommands(true);
    for (const id of ['probe.hello', 'probe.showPanel', 'probe.startSleeper']) assert.ok(all.includes(id), `${id} is not registered`);
  });

  it('runs the CustomExecution task to exit code 3', async ({ vscode, extensionApi }) => {
    const api = extensionApi as ProbeApi;
    const task = (await vscode.tasks.fetchTasks({ type: 'probe' })).find((t) => t.name === 'echo-and-exit');
    assert.ok(task, 'the probe task provider offers echo-and-exit');
    const before = api.taskExits.length;
    const ended = new Promise<void>((resolve) => {
      const sub = vscode.tasks.onDidEndTask((e) => {
        if (e.execution.task.name !== 'echo-and-exit') return;
        sub.dispose();
        resolve();
      });
    });
    await vscode.tasks.executeTask(task);
    await ended;
    assert.deepEqual(api.taskExits.slice(before), [3]);
  });

  it('self-check: fails only when asked to', ({ params }) => {
    assert.notEqual(params.fail, true, 'failing on purpose (self-check of the host test channel)');
  });
});
