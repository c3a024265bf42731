// A process tree FlowForge did not start: a command typed in a terminal whose
// shell the editor owns. We watch the shell's descendants (never the shell),
// the editor feeds us the output it saw, and says when the command ended.
import type { ExitInfo } from './supervisedProcess';

export class WatchedProcess {
  readonly exited: Promise<ExitInfo>;
  readonly outputDone: Promise<void> = Promise.resolve();
  private resolveExit!: (info: ExitInfo) => void;
  private ended = false;

  /**
   * @param shellPid the terminal's shell; its descendants are the command
   * @param signalMembers sends a signal to the command's processes (not the shell)
   */
  constructor(
    readonly shellPid: number,
    private readonly signalMembers: (sig: NodeJS.Signals) => boolean,
  ) {
    this.exited = new Promise((resolve) => (this.resolveExit = resolve));
  }

  get pid(): number {
    return this.shellPid;
  }

  /** The editor reports the command's end (shell integration gives the exit code). */
  end(exitCode: number | null): void {
    if (this.ended) return;
    this.ended = true;
    this.resolveExit({ exitCode, signal: null, startError: null });
  }

  write(): boolean {
    return false; // the terminal owns the command's input
  }

  closeStdin(): void {}

  signalGroup(sig: NodeJS.Signals): boolean {
    return this.signalMembers(sig);
  }

  releasePipes(): void {}
}
