// Proves the e2e harness end to end with the probe extension in a real code-server +
// Chromium: palette, notifications, a CustomExecution task and its terminal, the status
// bar, a webview button inside the nested iframes, the in-host test channel (both
// outcomes), window reload and close, and a teardown that leaves nothing behind.
import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  clickNotificationAction,
  descendantsOf,
  describeProcesses,
  eventually,
  extensionHostDescendants,
  extensionHostPids,
  formatHostReport,
  isAlive,
  listPaletteCommands,
  packageVsix,
  quickPick,
  reloadWindow,
  runCommand,
  screenshot,
  statusBarItem,
  terminalBuffer,
  typeInTerminal,
  useE2eSession,
  waitForExit,
  waitForNotification,
  waitForTerminalText,
  webviewFrame,
  type HostTestSession,
} from './harness';
import { buildProbeExtension } from './probe-extension/build';

describe('e2e harness, proven with the probe extension', function () {
  this.timeout(120_000);
  const temp: string[] = [];
  const session = useE2eSession(async () => {
    const workspace = mkdtempSync(join(tmpdir(), 'ff-e2e-ws-'));
    writeFileSync(join(workspace, 'README.md'), '# probe workspace\n');
    const extensionPath = await buildProbeExtension();
    temp.push(workspace, extensionPath);
    return { workspace, extensionPath, hostTests: ['test/e2e/probe-extension/host-tests/probe.host.ts'] };
  });
  after(() => temp.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
  const host = (): HostTestSession => session.host!;
  const statusText = (pattern: RegExp) =>
    eventually(() => statusBarItem(session.page, 'probe.status').innerText(), (t) => pattern.test(t), { message: `probe status ${pattern}` });

  it('runs the host tests at activation and reports every one as passed', async () => {
    const report = await host().waitForReport();
    assert.equal(report.failed, 0, formatHostReport(report));
    assert.equal(report.passed, 4, formatHostReport(report));
    console.log(`      workbench ready ${session.timings.workbenchReadyMs} ms after spawn; ${formatHostReport(report).split('\n')[0]}`);
  });

  it('reports a failing host test as failed, then passing again (self-check of the channel)', async () => {
    const failing = await host().runTests('self-check', { params: { fail: true } });
    assert.equal(failing.failed, 1, formatHostReport(failing));
    assert.match(failing.tests[0]?.error?.message ?? '', /failing on purpose/);
    const passing = await host().runTests('self-check');
    assert.deepEqual([passing.passed, passing.failed], [1, 0], formatHostReport(passing));
  });

  it('evaluates snippets in the extension host and surfaces their errors', async () => {
    const scheme = await host().evaluate<string>('return vscode.workspace.workspaceFolders[0].uri.scheme');
    assert.equal(scheme, 'file');
    await assert.rejects(host().evaluate('throw new Error("boom from the host")'), /boom from the host/);
  });

  it('shows the probe status bar item', async () => {
    await statusText(/Probe ready/);
  });

  it('lists the probe commands in the command palette', async () => {
    assert.deepEqual(await listPaletteCommands(session.page, 'Probe:'), ['Probe: Hello', 'Probe: Show Panel', 'Probe: Start Sleeper']);
  });

  it('runs a palette command and clicks its notification action', async () => {
    await runCommand(session.page, 'Probe: Hello');
    const note = await waitForNotification(session.page, 'Hello from the probe');
    assert.deepEqual([note.source, note.actions], ['FlowForge E2E Probe', ['Count']]);
    await clickNotificationAction(session.page, 'Hello from the probe', 'Count');
    await statusText(/Probe counted/);
  });

  it('runs the CustomExecution task from "Tasks: Run Task" and shows its output and exit code', async () => {
    const { page } = session;
    await runCommand(page, 'Tasks: Run Task');
    await quickPick(page, 'probe');
    await quickPick(page, 'probe: echo-and-exit');
    const text = await waitForTerminalText(page, /exit code: 3/);
    assert.match(text, /probe line 1 of 3\nprobe line 2 of 3\nprobe line 3 of 3\nprobe task done, exiting with 3/);
    await screenshot(page, 'harness-task-terminal');
  });

  it('types into a real shell terminal and reads the whole buffer back', async () => {
    const { page } = session;
    await runCommand(page, 'Terminal: Create New Terminal');
    await typeInTerminal(page, 'for i in $(seq 1 80); do echo "row $i"; done; echo "sum=$((40+2))"');
    await waitForTerminalText(page, /^sum=42$/m);
    const buffer = await terminalBuffer(page);
    assert.match(buffer, /^row 1$/m, 'scrollback beyond the visible rows is included');
    assert.match(buffer, /^row 80$/m);
  });

  it('clicks a button inside the webview and sees the round trip', async () => {
    const { page } = session;
    await runCommand(page, 'Probe: Show Panel');
    const view = webviewFrame(page);
    await view.locator('#press').click();
    await view.locator('#count', { hasText: 'pressed 1' }).waitFor();
    await statusText(/Probe pressed 1/);
    assert.equal(await host().evaluate('return ctx.extensionApi.pressCount()'), 1);
  });

  it('keeps working after a window reload; the old extension host and its children are gone', async () => {
    const { page, server } = session;
    const [oldHost] = extensionHostPids(server);
    assert.ok(oldHost, 'an extension host is running');
    const sleeper = await host().evaluate<number>('return vscode.commands.executeCommand("probe.startSleeper")');
    assert.ok(extensionHostDescendants(server).some((p) => p.pid === sleeper), 'the sleeper runs under the extension host');

    await reloadWindow(page);
    const report = await host().waitForReport({ fromHostOtherThan: oldHost });
    assert.equal(report.failed, 0, formatHostReport(report));
    assert.notEqual(report.hostPid, oldHost);
    const left = await waitForExit([oldHost, sleeper]);
    assert.deepEqual(left, [], `left behind after reload:\n${describeProcesses(left)}`);
    await statusText(/Probe ready/);
    assert.equal((await listPaletteCommands(page, 'Probe:')).length, 3);
  });

  it('closing the window stops its extension host and the host\'s children', async () => {
    const { server, workbench } = session;
    const hosts = extensionHostPids(server);
    const sleeper = await host().evaluate<number>('return vscode.commands.executeCommand("probe.startSleeper")');
    await session.page.close();
    const left = await waitForExit([...hosts, sleeper]);
    assert.deepEqual(left, [], `left behind after closing the window:\n${describeProcesses(left)}`);

    // A new window gets a new extension host; later tests use it.
    await workbench.openWindow();
    await host().waitForReport({ fromHostOtherThan: hosts[0] });
  });

  it('stop() kills the whole tree and names a process that escaped the group', async () => {
    const { server } = session;
    // Stands in for a job that left code-server's process group and was never cleaned up.
    const escaped = await host().evaluate<number>(
      `const child = require('node:child_process').spawn('sleep', ['600'], { detached: true, stdio: 'ignore' });
       child.unref();
       return child.pid;`,
    );
    const tree = descendantsOf(server.pid);
    assert.ok(tree.some((p) => p.pid === escaped && p.pgid !== server.pgid), 'the escaped process runs in its own group');

    const report = await server.stop({ graceMs: 2_000, requireClean: false });
    assert.deepEqual(report.survivors.map((p) => p.pid), [escaped], describeProcesses(report.survivors));
    assert.equal(isAlive(escaped), false, 'stop() killed the escaped process too');
    const left = await waitForExit([server.pid, ...tree.map((p) => p.pid)], 5_000);
    assert.deepEqual(left, [], `left behind after stop():\n${describeProcesses(left)}`);
  });
});

describe('e2e harness, probe installed from a .vsix into a multi-root workspace', function () {
  this.timeout(120_000);
  const temp: string[] = [];
  const session = useE2eSession(async () => {
    const folders = ['alpha', 'beta'].map((name) => mkdtempSync(join(tmpdir(), `ff-e2e-${name}-`)));
    const extensionPath = await buildProbeExtension();
    const vsix = packageVsix(extensionPath, join(extensionPath, 'probe.vsix'));
    temp.push(...folders, extensionPath);
    // On-demand host tests only: the probe's automatic suite expects a single folder.
    return { workspace: folders, vsix, hostTests: ['test/e2e/probe-extension/host-tests/probe.host.ts'], hostAutorun: false };
  });
  after(() => temp.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('installs the .vsix with --install-extension and activates it in every folder of the workspace', async () => {
    assert.ok(
      readdirSync(session.server.extensionsDir).some((name) => name.startsWith('flowforge-test.flowforge-e2e-probe-0.0.1')),
      `the probe is installed in ${session.server.extensionsDir}`,
    );
    await statusBarItem(session.page, 'probe.status').waitFor();
    const folders = await session.host!.evaluate<string[]>('return vscode.workspace.workspaceFolders.map((f) => f.name)');
    assert.equal(folders.length, 2);
    assert.ok(!existsSync(session.host!.resultsPath), 'no automatic host run when hostAutorun is false');
    const report = await session.host!.runTests('registers its commands');
    assert.deepEqual([report.passed, report.failed], [1, 0], formatHostReport(report));
  });
});
