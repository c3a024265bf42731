// FlowForge in real VS Code with a multi-root workspace: folders registered
// and unregistered as they come and go (checked through the API's workspace
// status endpoint), protection turned off for one folder (a runaway there only
// alerts), a running job stopped from the incident panel (the timeline shows
// the audit row with its actor), and the panel surviving a window reload with
// live updates. Acceptance points of issue 6 (5) and issue 7 (2, 3).
import * as assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  clickNotificationAction,
  eventually,
  extensionHostPids,
  formatHostReport,
  quickPick,
  reloadWindow,
  runCommand,
  terminalBuffer,
  useE2eSession,
  waitForExit,
  waitForNotification,
  waitForTerminalText,
  webviewFrame,
} from '../harness';
import { requireSharedCorpus } from '../../helpers/processes';
import { corpus, extensionUnderTest, inHost, makeFolder, runawayTask, startTask } from './fixtures';

interface Status {
  workspace: { id: string; protection_enabled: boolean; path: string };
  active_runs: { id: string; name: string; pid: number }[];
}

describe('FlowForge in VS Code: workspace folders, protection, panel actions and reload', function () {
  this.timeout(180_000);
  before(function () {
    requireSharedCorpus(this);
  });
  const folders: string[] = [];
  let third = '';
  const session = useE2eSession(async () => {
    // alpha's runaway cycles three lines at full CPU (R02): it keeps running there, without flooding the machine.
    const alphaTask = { label: 'alpha runaway', type: 'flowforge', command: 'python3', args: [corpus('R02_agent_fix_cycle.py')] };
    folders.push(makeFolder('alpha', [alphaTask]), makeFolder('beta', [runawayTask('beta runaway')]));
    folders.push(makeFolder('gamma', []));
    third = folders[2]!;
    return { workspace: folders.slice(0, 2), ...(await extensionUnderTest()), hostTests: ['test/e2e/extension/extension.host.ts'] };
  });
  after(() => folders.forEach((f) => rmSync(dirname(f), { recursive: true, force: true })));

  /** The API's view of a folder (GET /v1/integrations/workspaces/{id}/status), or the error it answered. */
  const status = (path: string) =>
    inHost<Status | { error: number }>(
      session,
      `const f = vscode.workspace.workspaceFolders.find((f) => f.uri.fsPath === ctx.params.path);
       const id = f ? ff.registrar.idOf(f) : ctx.params.knownId;
       try { return await ff.client.workspaceStatus(id); } catch (e) { return { error: e.status }; }`,
      { path, knownId: knownIds.get(path) },
    );
  const knownIds = new Map<string, string>();
  let alphaRun: { id: string; name: string; pid: number } | undefined;

  it('registers both folders of the workspace at activation', async () => {
    const report = await session.host!.waitForReport();
    assert.equal(report.failed, 0, formatHostReport(report));
    for (const path of folders.slice(0, 2)) {
      const s = (await status(path)) as Status;
      assert.equal(s.workspace.path, path);
      assert.equal(s.workspace.protection_enabled, true);
      knownIds.set(path, s.workspace.id);
    }
  });

  it('registers a folder added to the window, and unregisters it when it is removed', async () => {
    await inHost(session, 'vscode.workspace.updateWorkspaceFolders(2, 0, { uri: vscode.Uri.file(ctx.params.path) });', { path: third });
    const added = (await eventually(() => status(third), (s) => 'workspace' in s, { message: 'the added folder to be registered' })) as Status;
    knownIds.set(third, added.workspace.id);
    await inHost(session, 'vscode.workspace.updateWorkspaceFolders(2, 1);');
    await eventually(() => status(third), (s) => 'error' in s && s.error === 404, { message: 'the removed folder to be unregistered (404)' });
  });

  it('with protection off for a folder, a runaway there only raises an alert', async () => {
    const { page } = session;
    const [alpha] = folders;
    await runCommand(page, 'FlowForge: Toggle Protection for Folder');
    await quickPick(page, 'alpha');
    await waitForNotification(page, /protection is off for alpha/);
    assert.equal(((await status(alpha!)) as Status).workspace.protection_enabled, false);
    await startTask(session, 'alpha runaway');
    await waitForNotification(page, /FlowForge: "alpha runaway" looks like a runaway/, 60_000);
    // The policy wants a kill soon after the first alert; protection off holds it back to an alert.
    const incident = await eventually(
      () =>
        inHost<{ action: string; intended: string; reason: string }>(
          session,
          'return (await ff.client.listIncidents({ limit: 10 })).items.find((i) => i.name === "alpha runaway")',
        ),
      (i) => i?.intended === 'kill',
      { message: 'the incident to say the kill was held back' },
    );
    assert.equal(incident.action, 'alert');
    assert.match(incident.reason, /protection is off/);
    // It keeps running: nothing stops it.
    await new Promise((r) => setTimeout(r, 3000));
    const s = (await status(alpha!)) as Status;
    assert.deepEqual(s.active_runs.map((r) => r.name), ['alpha runaway'], 'the runaway is still running');
    alphaRun = s.active_runs[0]!;
  });

  it('stops the still-running job from the incident panel; the timeline shows the audit row with the actor', async () => {
    const { page } = session;
    await clickNotificationAction(page, /"alpha runaway" looks like a runaway/, 'Show incident');
    const view = webviewFrame(page);
    const detail = view.locator('.detail');
    await detail.locator('.lifecycle', { hasText: /running/i }).waitFor({ timeout: 30_000 });
    await detail.locator('vscode-button[data-focus="run/stop"]').click();
    const bar = detail.locator('.confirm-bar');
    await bar.waitFor();
    await bar.locator('vscode-textfield').locator('input').fill('stopped from the e2e panel test');
    await bar.locator('vscode-button[data-focus="confirm"]').click();
    const left = await waitForExit([alphaRun!.pid], 15_000);
    assert.deepEqual(left, [], 'the job was stopped');
    await detail.locator('.journal', { hasText: 'stopped from the e2e panel test' }).waitFor({ timeout: 30_000 });
    assert.match(await detail.locator('.journal').innerText(), /api:vscode/);
    await view.locator('vscode-tab-header[data-view="timeline"]').click();
    const row = view.locator('.timeline-list .vlist-item', { hasText: 'stopped from the e2e panel test' }).first();
    await row.waitFor({ timeout: 30_000 });
    assert.match(await row.innerText(), /api:vscode/);
    await waitForTerminalText(page, /exit code: 130/);
    const terminal = await terminalBuffer(page);
    assert.match(terminal, /▲ FlowForge alert: .+/, 'the alert banner');
    assert.match(terminal, /▲ FlowForge would have stopped this job \(not enforced\): .+protection is off/, 'the held-back stop');
    assert.match(terminal, /Stopped by api:vscode: stopped from the e2e panel test/);
  });

  it('restores the panel after a window reload and shows new incidents without a refresh', async () => {
    const { page, server } = session;
    await webviewFrame(page).locator('vscode-tab-header[data-view="incidents"]').click();
    const [oldHost] = extensionHostPids(server);
    await reloadWindow(page);
    await session.host!.waitForReport({ fromHostOtherThan: oldHost });
    const restored = webviewFrame(page);
    // The serializer brings back what was shown: the drill-down of alpha's incident.
    await restored.locator('.detail', { hasText: 'alpha runaway' }).waitFor({ timeout: 60_000 });
    await restored.locator('[data-focus="back"]').click();
    await restored.locator('.incident-list .vlist-item').first().waitFor({ timeout: 30_000 });
    const before = await restored.locator('.incident-list .vlist-item').count();
    // Protection is still off for alpha: run beta's runaway (protected), which is stopped.
    await startTask(session, 'beta runaway');
    await restored.locator('.incident-list .vlist-item', { hasText: 'beta runaway' }).first().waitFor({ timeout: 60_000 });
    assert.ok((await restored.locator('.incident-list .vlist-item').count()) > before, 'a new row arrived live');
    const beta = await inHost<{ pid: number; end_reason: string | null }>(
      session,
      'return (await ff.client.listRuns({ limit: 50 })).items.find((r) => r.name === "beta runaway")',
    );
    assert.deepEqual(await waitForExit([beta.pid], 30_000), [], 'beta runaway is stopped (its folder is protected)');
  });

  it('Run Demo: the looping agent is caught and recovers, the healthy build is left alone', async () => {
    const { page } = session;
    await runCommand(page, 'FlowForge: Run Demo');
    const note = await waitForNotification(page, /FlowForge demo: Runaway detected in [\d.]+ seconds/, 120_000);
    assert.match(note.message, /CPU peaked at \d+%/);
    assert.match(note.message, /Process recovered \(attempt \d+ exited cleanly\)/);
    assert.match(note.message, /Healthy build finished untouched/);
    assert.deepEqual(note.actions, ['Show incident']);
  });
});
