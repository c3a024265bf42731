// The `FlowForge` terminal profile: the person's own shell in a real terminal,
// where every command is supervised. Shell integration tells when a command
// starts and ends and what it prints: each command becomes a watched run
// (POST /v1/watch on the shell's pid: FlowForge watches the shell's
// descendants, never the shell) fed with its output lines. An intervention
// stops the command's processes; the shell stays. Without shell integration
// the terminal says so, and FlowForge watches the whole shell subtree for CPU
// and memory.
import * as vscode from 'vscode';
import type { Logger } from '../../server/util/logger';
import { ApiError, type ApiClient } from '../backend/apiClient';
import type { Settings } from '../settings';
import type { WorkspaceRegistrar } from '../workspace/workspaceRegistrar';
import { LineBatcher } from './lineBatcher';

export const PROFILE_ID = 'flowforge.supervisedTerminal';
/** Set in the shell's environment: marks the terminals this profile made. */
export const TERMINAL_MARKER = 'FLOWFORGE_SUPERVISED_TERMINAL';
const NO_INTEGRATION_AFTER_MS = 10_000;

export interface TerminalDeps {
  client: ApiClient;
  registrar: WorkspaceRegistrar;
  settings: Settings;
  logger: Logger;
}

export function isSupervisedTerminal(t: vscode.Terminal): boolean {
  const options = t.creationOptions as vscode.TerminalOptions;
  return options?.env?.[TERMINAL_MARKER] === '1';
}

const INTRO = [
  'FlowForge supervises every command you run in this terminal: a command that runs away',
  '(CPU spin, output loop, memory climbing) is stopped; this shell stays. This needs shell',
  'integration; without it FlowForge says so and watches the shell’s CPU and memory only.',
].join('\r\n');

/** One command of a supervised terminal, from its start to its end. */
class WatchedCommand {
  private readonly batcher: LineBatcher;
  private readonly runId: Promise<string | null>;
  /** The backend has ended the run (FlowForge stopped the command): nothing more to feed. */
  private over = false;

  constructor(
    private readonly deps: TerminalDeps,
    terminal: vscode.Terminal,
    execution: vscode.TerminalShellExecution,
  ) {
    let id: string | null = null;
    this.batcher = new LineBatcher({
      send: (lines) => this.feed(id, { lines }),
      onError: (err) => deps.logger.debug(`terminal lines: ${err.message}`),
    });
    // read() yields only what comes after the first call: start reading now.
    void this.read(execution.read());
    this.runId = this.start(terminal, execution).then((runId) => {
      id = runId;
      this.batcher.resume();
      return runId;
    });
  }

  async end(exitCode: number | undefined): Promise<void> {
    await this.batcher.end();
    await this.feed(await this.runId, { lines: [], end: { exit_code: exitCode ?? null } });
  }

  private async read(stream: AsyncIterable<string>): Promise<void> {
    try {
      for await (const data of stream) this.batcher.push(data);
    } catch (err) {
      this.deps.logger.debug(`terminal output stream: ${(err as Error).message}`);
    }
  }

  private async start(terminal: vscode.Terminal, execution: vscode.TerminalShellExecution): Promise<string | null> {
    const line = execution.commandLine.value.trim() || 'command';
    const cwd = execution.cwd?.scheme === 'file' ? execution.cwd : undefined;
    try {
      const pid = await terminal.processId;
      if (!pid) return null;
      const run = await this.deps.client.watch({ pid, name: line.slice(0, 200), command: line.slice(0, 4096), ...watchPolicy(this.deps, cwd) });
      return run.id;
    } catch (err) {
      this.deps.logger.warn(`FlowForge could not watch "${line}": ${(err as Error).message}`);
      return null;
    }
  }

  private async feed(runId: string | null, body: { lines: string[]; end?: { exit_code: number | null } }): Promise<void> {
    if (!runId || this.over) return;
    try {
      await this.deps.client.lines(runId, body);
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 409)) throw err;
      this.over = true; // FlowForge stopped the command already
    }
  }
}

/** The watch's policy: the folder the command runs in (or the first folder), its settings. */
function watchPolicy(deps: TerminalDeps, cwd: vscode.Uri | undefined) {
  const folder = (cwd && vscode.workspace.getWorkspaceFolder(cwd)) || vscode.workspace.workspaceFolders?.[0];
  const s = deps.settings.folder(folder);
  const workspaceId = deps.registrar.idFor(folder);
  return {
    ...(cwd ? { cwd: cwd.fsPath } : {}),
    ...(workspaceId ? { workspace_id: workspaceId } : {}),
    profile: s.profile,
    ...(s.maxCpu !== null ? { max_cpu: s.maxCpu } : {}),
    ...(s.maxMemoryMb !== null ? { max_memory_mb: s.maxMemoryMb } : {}),
    rollout: s.rollout,
    ...(s.rollout === 'canary' ? { canary_percent: s.canaryPercent } : {}),
    // A terminal command cannot be restarted from here: restart becomes kill.
    on_runaway: s.onRunaway === 'alert' ? ('alert' as const) : ('kill' as const),
  };
}

interface TerminalState {
  commands: Map<vscode.TerminalShellExecution, WatchedCommand>;
  integrated: boolean;
  /** Without shell integration: the watch over the whole shell subtree. */
  shellWatch: { end(code?: number): Promise<void> } | null;
  timer: NodeJS.Timeout | null;
}

export class SupervisedTerminals implements vscode.Disposable {
  private readonly terminals = new Map<vscode.Terminal, TerminalState>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly deps: TerminalDeps) {
    this.disposables.push(
      vscode.window.registerTerminalProfileProvider(PROFILE_ID, {
        provideTerminalProfile: () =>
          new vscode.TerminalProfile({
            name: 'FlowForge',
            shellPath: vscode.env.shell || process.env.SHELL || '/bin/bash',
            env: { [TERMINAL_MARKER]: '1' },
            iconPath: new vscode.ThemeIcon('shield'),
            message: `\x1b[2m${INTRO}\x1b[0m`,
          }),
      }),
      vscode.window.onDidOpenTerminal((t) => this.adopt(t)),
      vscode.window.onDidCloseTerminal((t) => void this.release(t)),
      vscode.window.onDidChangeTerminalShellIntegration((e) => this.onIntegration(e.terminal)),
      vscode.window.onDidStartTerminalShellExecution((e) => this.onStart(e)),
      vscode.window.onDidEndTerminalShellExecution((e) => void this.onEnd(e)),
    );
    for (const t of vscode.window.terminals) this.adopt(t);
  }

  /** Commands being watched now (for tests). */
  get watching(): number {
    return [...this.terminals.values()].reduce((n, s) => n + s.commands.size, 0);
  }

  dispose(): void {
    for (const t of [...this.terminals.keys()]) void this.release(t);
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  private adopt(t: vscode.Terminal): void {
    if (!isSupervisedTerminal(t) || this.terminals.has(t)) return;
    const state: TerminalState = { commands: new Map(), integrated: t.shellIntegration !== undefined, shellWatch: null, timer: null };
    this.terminals.set(t, state);
    if (!state.integrated) state.timer = setTimeout(() => void this.withoutIntegration(t, state), NO_INTEGRATION_AFTER_MS);
  }

  private onIntegration(t: vscode.Terminal): void {
    const state = this.terminals.get(t);
    if (!state || state.integrated) return;
    state.integrated = true;
    if (state.timer) clearTimeout(state.timer);
    // Commands are watched one by one from now on.
    void state.shellWatch?.end(undefined);
    state.shellWatch = null;
  }

  private async withoutIntegration(t: vscode.Terminal, state: TerminalState): Promise<void> {
    state.timer = null;
    if (state.integrated || !this.terminals.has(t)) return;
    this.deps.logger.warn(`terminal "${t.name}": no shell integration; watching the whole shell for CPU and memory`);
    void vscode.window.showWarningMessage(
      `FlowForge: shell integration is not active in the terminal "${t.name}", so FlowForge cannot see single commands or their output. It still watches CPU and memory of everything the shell runs, and stops what runs away (never the shell).`,
    );
    const pid = await t.processId;
    if (!pid) return;
    try {
      const run = await this.deps.client.watch({ pid, name: `${t.name} terminal (no shell integration)`, ...watchPolicy(this.deps, undefined) });
      state.shellWatch = { end: (code?: number) => this.deps.client.lines(run.id, { lines: [], end: { exit_code: code ?? null } }).then(() => undefined, () => undefined) };
    } catch (err) {
      this.deps.logger.warn(`FlowForge could not watch the terminal "${t.name}": ${(err as Error).message}`);
    }
  }

  private onStart(e: vscode.TerminalShellExecutionStartEvent): void {
    const state = this.terminals.get(e.terminal);
    if (!state) return;
    this.onIntegration(e.terminal);
    state.commands.set(e.execution, new WatchedCommand(this.deps, e.terminal, e.execution));
  }

  private async onEnd(e: vscode.TerminalShellExecutionEndEvent): Promise<void> {
    const state = this.terminals.get(e.terminal);
    const command = state?.commands.get(e.execution);
    if (!state || !command) return;
    state.commands.delete(e.execution);
    await command.end(e.exitCode).catch((err: Error) => this.deps.logger.debug(`terminal command end: ${err.message}`));
  }

  private async release(t: vscode.Terminal): Promise<void> {
    const state = this.terminals.get(t);
    if (!state) return;
    this.terminals.delete(t);
    if (state.timer) clearTimeout(state.timer);
    const ends = [...state.commands.values()].map((c) => c.end(undefined));
    if (state.shellWatch) ends.push(state.shellWatch.end(undefined));
    await Promise.allSettled(ends);
  }
}
