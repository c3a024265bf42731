// Inside the real extension host: the backend starts, every folder is
// registered, the task type and commands are there, and activation was quick.
// Also the on-demand helpers the outer tests call by grep (params in, checks here).
import * as assert from 'node:assert/strict';
import type { FlowforgeInternals } from '../../../src/extension';
import { describe, it } from '../harness/host/hostRunner';

const poll = async <T>(probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number, what: string): Promise<T> => {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (ok(v)) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`${what}: not within ${timeoutMs} ms (last: ${String(last)})`);
    await new Promise((r) => setTimeout(r, 200));
  }
};

describe('FlowForge, inside the extension host', () => {
  it('starts its backend and talks to it', async ({ extensionApi }) => {
    const ff = extensionApi as FlowforgeInternals;
    const info = await ff.backend.process.ready(60_000);
    assert.match(info.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal((await ff.client.listIncidents({ limit: 1 })).items.length >= 0, true);
  });

  it('registers every folder of the window with its settings', async ({ extensionApi }) => {
    const ff = extensionApi as FlowforgeInternals;
    for (const f of ff.registrar.folders()) {
      const status = await poll(() => ff.client.workspaceStatus(f.id), () => true, 20_000, `workspace ${f.name}`);
      assert.equal(status.workspace.path, f.folder.uri.fsPath);
      assert.equal(status.workspace.client, 'vscode');
    }
  });

  it('contributes the flowforge task type and its commands', async ({ vscode }) => {
    const all = await vscode.commands.getCommands(true);
    for (const id of ['flowforge.superviseTask', 'flowforge.showIncidents', 'flowforge.stopJob', 'flowforge.restartJob', 'flowforge.toggleProtection', 'flowforge.copyApiKey', 'flowforge.runDemo']) {
      assert.ok(all.includes(id), `${id} is not registered`);
    }
    const tasks = await vscode.tasks.fetchTasks({ type: 'flowforge' });
    assert.ok(tasks.length > 0, 'tasks.json entries of type flowforge are resolved');
  });

  it('activates quickly (activate() returns before the backend is up)', ({ extensionApi }) => {
    const ff = extensionApi as FlowforgeInternals;
    assert.ok(ff.activationMs < 150, `activate() took ${ff.activationMs} ms`);
  });
});
