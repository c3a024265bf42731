// The e2e harness: real VS Code (code-server) in Debian Chromium, driven by playwright-core.
// See docs/testing.md for how the tiers run and how to debug a failing e2e test.
export { CHROMIUM_ARGS, chromiumPath, launchChromium } from './chromium';
export { defaultSettings, startCodeServer, type CodeServerHandle, type CodeServerOptions, type StopReport } from './codeServer';
export { buildHostTests, formatHostReport, prepareHostTests, type HostTestSession } from './hostTests';
export type { HostTestReport, HostTestResult } from './host/protocol';
export { listPaletteCommands, quickPick, runCommand } from './palette';
export {
  describeProcesses,
  descendantsOf,
  extensionHostDescendants,
  extensionHostPids,
  isAlive,
  listProcesses,
  processGroupMembers,
  waitForExit,
  type ProcessInfo,
} from './processes';
export { startE2eSession, useE2eSession, type E2eSession, type E2eSessionOptions } from './session';
export { artifactsDir, repoRoot, toolchain } from './setup';
export { terminalBuffer, terminalText, typeInTerminal, waitForTerminalIdle, waitForTerminalText } from './terminal';
export {
  clickNotificationAction,
  notifications,
  reloadWindow,
  screenshot,
  statusBarItem,
  waitForNotification,
  webviewFrame,
  type NotificationInfo,
} from './ui';
export { eventually, matches, UI_TIMEOUT_MS } from './wait';
export { packageVsix } from './vsix';
export { openWorkbench, waitForWorkbench, type Workbench } from './workbench';
