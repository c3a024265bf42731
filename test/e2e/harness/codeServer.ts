// Starts a throw-away code-server (real VS Code workbench + Node extension host) on a
// free loopback port, with its own user-data, extensions and config, and tears the
// whole process tree down again.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describeProcesses, descendantsOf, listProcesses, waitForExit, type ProcessInfo } from './processes';
import { toolchain } from './setup';

export interface CodeServerOptions {
  /** A folder, a .code-workspace file, or several folders (multi-root: a .code-workspace is generated). */
  workspace: string | string[];
  /** Unpacked extension folders (package.json + built main) to load from --extensions-dir. */
  extensionPath?: string | string[];
  /** .vsix files to install with --install-extension before the server starts. */
  vsix?: string | string[];
  /** Extra environment for code-server; the extension host inherits it. */
  env?: Record<string, string>;
  /** User settings merged over the harness defaults (see defaultSettings). */
  settings?: Record<string, unknown>;
  /** How long a disconnected window keeps its extension host (code-server's default is 3 h). */
  reconnectionGraceSeconds?: number;
}

export interface StopReport {
  /** Processes outside code-server's group that were still alive `graceMs` after SIGTERM (since killed). */
  survivors: ProcessInfo[];
}

export interface CodeServerHandle {
  /** Opens the workspace: http://127.0.0.1:PORT/?folder=... or ?workspace=... */
  url: string;
  port: number;
  pid: number;
  /** The server runs in its own session, so its pid is also its process group id. */
  pgid: number;
  rootDir: string;
  userDataDir: string;
  extensionsDir: string;
  /** Everything code-server printed so far (stdout and stderr interleaved). */
  logs(): string;
  /** Copies the server output and VS Code's own log folder (exthost, renderer...) into `dir`. */
  saveLogs(dir: string): void;
  /**
   * SIGTERM to the process group, then SIGKILL after `graceMs`; processes of the tree that
   * left the group (setsid) are waited for too and killed last. Rejects, after cleaning up,
   * when `requireClean` (default true) and any of those outside the group outlived SIGTERM.
   */
  stop(options?: { graceMs?: number; requireClean?: boolean }): Promise<StopReport>;
}

/** Settings that keep the workbench quiet and deterministic under test. */
export const defaultSettings: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.enableExperiments': false,
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'chat.disableAIFeatures': true,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  // Port auto-detection polls /proc from the extension host every few seconds.
  'remote.autoForwardPorts': false,
  'git.enabled': false,
  'task.problemMatchers.neverPrompt': true,
  'task.allowAutomaticTasks': 'off',
  'terminal.integrated.shellIntegration.enabled': true,
  // The DOM renderer keeps terminal rows readable as text (see terminalText).
  'terminal.integrated.gpuAcceleration': 'off',
  'terminal.integrated.stickyScroll.enabled': false,
  'terminal.integrated.enablePersistentSessions': false,
  'window.confirmBeforeClose': 'never',
};

const live = new Set<number>();
process.on('exit', () => {
  // Last resort if a test run dies without calling stop(): never leak a server.
  for (const pgid of live) killGroup(pgid, 'SIGKILL');
});

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is already empty
  }
}

function killPid(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Environment for the server: the caller's, minus anything that would make it think it runs inside another VS Code. */
function serverEnv(extra: Record<string, string> | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('VSCODE_') || k === 'NODE_OPTIONS' || k === 'ELECTRON_RUN_AS_NODE') continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

function workspaceTarget(rootDir: string, workspace: string | string[]): { path: string; query: string } {
  if (Array.isArray(workspace)) {
    const file = join(rootDir, 'test.code-workspace');
    writeFileSync(file, JSON.stringify({ folders: workspace.map((f) => ({ path: resolve(f) })) }, null, 2));
    return { path: file, query: 'workspace' };
  }
  const path = resolve(workspace);
  if (!existsSync(path)) throw new Error(`startCodeServer: workspace ${path} does not exist`);
  return { path, query: path.endsWith('.code-workspace') ? 'workspace' : 'folder' };
}

function linkExtension(extensionsDir: string, extensionPath: string): void {
  const dir = resolve(extensionPath);
  const manifestFile = join(dir, 'package.json');
  if (!existsSync(manifestFile)) throw new Error(`startCodeServer: ${manifestFile} not found (extensionPath must be an unpacked extension)`);
  const m = JSON.parse(readFileSync(manifestFile, 'utf8')) as { publisher?: string; name?: string; version?: string };
  if (!m.publisher || !m.name || !m.version) throw new Error(`startCodeServer: ${manifestFile} needs publisher, name and version`);
  symlinkSync(dir, join(extensionsDir, `${m.publisher}.${m.name}-${m.version}`), 'dir');
}

function installVsix(baseArgs: string[], vsixes: string[], env: NodeJS.ProcessEnv): void {
  const { node, codeServerEntry } = toolchain();
  const installs = vsixes.flatMap((v) => ['--install-extension', resolve(v)]);
  const r = spawnSync(node, [codeServerEntry, ...baseArgs, ...installs], { env, encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`installing ${vsixes.join(', ')} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
}

function waitForPort(child: ChildProcess, output: () => string, timeoutMs: number): Promise<number> {
  const pattern = /HTTP server listening on http:\/\/127\.0\.0\.1:(\d+)\//;
  return new Promise((resolvePort, reject) => {
    const fail = (why: string) => {
      cleanup();
      reject(new Error(`code-server ${why}. Output so far:\n${output()}`));
    };
    const onData = () => {
      const m = pattern.exec(output());
      if (m) {
        cleanup();
        resolvePort(Number(m[1]));
      }
    };
    const onExit = (code: number | null, signal: string | null) => fail(`exited early (code ${code}, signal ${signal})`);
    const timer = setTimeout(() => fail(`did not report a listening port within ${timeoutMs} ms`), timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', onExit);
  });
}

export async function startCodeServer(options: CodeServerOptions): Promise<CodeServerHandle> {
  const { node, codeServerEntry } = toolchain();
  const rootDir = mkdtempSync(join(tmpdir(), 'ff-e2e-'));
  const userDataDir = join(rootDir, 'user-data');
  const extensionsDir = join(rootDir, 'extensions');
  const configFile = join(rootDir, 'config.yaml');
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  mkdirSync(extensionsDir, { recursive: true });
  // Always pass --config: without it code-server writes ~/.config/code-server/config.yaml.
  writeFileSync(configFile, 'auth: none\nbind-addr: 127.0.0.1:0\ncert: false\n');
  writeFileSync(join(userDataDir, 'User/settings.json'), JSON.stringify({ ...defaultSettings, ...options.settings }, null, 2));

  const env = serverEnv(options.env);
  const baseArgs = ['--config', configFile, '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir];
  let target: { path: string; query: string };
  try {
    for (const path of [options.extensionPath ?? []].flat()) linkExtension(extensionsDir, path);
    const vsixes = [options.vsix ?? []].flat();
    if (vsixes.length > 0) installVsix(baseArgs, vsixes, env);
    target = workspaceTarget(rootDir, options.workspace);
  } catch (err) {
    rmSync(rootDir, { recursive: true, force: true });
    throw err;
  }
  const args = [
    codeServerEntry,
    ...baseArgs,
    '--auth', 'none',
    '--bind-addr', '127.0.0.1:0',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--ignore-last-opened',
    '--reconnection-grace-time', String(options.reconnectionGraceSeconds ?? 10),
    target.path,
  ];
  // detached = setsid(): a new session and process group, so one kill reaches the whole tree.
  const child = spawn(node, args, { cwd: rootDir, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not spawn ${node}`);
  live.add(pid);
  let output = '';
  const append = (chunk: Buffer) => (output += chunk.toString('utf8'));
  child.stdout.on('data', append);
  child.stderr.on('data', append);

  let port: number;
  try {
    port = await waitForPort(child, () => output, 60_000);
  } catch (err) {
    killGroup(pid, 'SIGKILL');
    live.delete(pid);
    rmSync(rootDir, { recursive: true, force: true });
    throw err;
  }

  return {
    url: `http://127.0.0.1:${port}/?${target.query}=${encodeURIComponent(target.path)}`,
    port,
    pid,
    pgid: pid,
    rootDir,
    userDataDir,
    extensionsDir,
    logs: () => output,
    saveLogs(dir) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'code-server.log'), output);
      const vscodeLogs = join(userDataDir, 'logs');
      if (existsSync(vscodeLogs)) cpSync(vscodeLogs, join(dir, 'vscode-logs'), { recursive: true });
    },
    stop: (stopOptions) => stopServer(pid, rootDir, stopOptions ?? {}),
  };
}

async function stopServer(pid: number, rootDir: string, { graceMs = 8_000, requireClean = true }): Promise<StopReport> {
  // Snapshot the tree first: processes that escaped the group get reparented once their
  // parents die and could no longer be found by ancestry.
  const table = listProcesses();
  const tree = [pid, ...descendantsOf(pid, table).map((p) => p.pid)];
  killGroup(pid, 'SIGTERM');
  const afterTerm = await waitForExit(tree, graceMs);
  killGroup(pid, 'SIGKILL');
  afterTerm.forEach((p) => killPid(p.pid));
  const stuck = await waitForExit(afterTerm.map((p) => p.pid), 5_000);
  live.delete(pid);
  if (!process.env.FLOWFORGE_E2E_KEEP) rmSync(rootDir, { recursive: true, force: true });
  if (stuck.length) throw new Error(`processes survived SIGKILL after stop():\n${describeProcesses(stuck)}`);
  // The server itself and its group members may take a moment after SIGTERM; only
  // processes outside the group that needed the final SIGKILL are a teardown bug.
  const survivors = afterTerm.filter((p) => p.pgid !== pid);
  if (survivors.length && requireClean) {
    throw new Error(`stop(): ${survivors.length} process(es) outside code-server's group outlived SIGTERM by ${graceMs} ms:\n${describeProcesses(survivors)}`);
  }
  return { survivors };
}
