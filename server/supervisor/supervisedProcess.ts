// One started process: spawned in its own process group, output captured as
// raw chunks, exit reported on the process's own exit (never on pipe closure,
// which an escaped descendant can hold open indefinitely).
import { existsSync, statSync } from 'node:fs';
import { execa, type ResultPromise } from 'execa';

export interface ProcessSpec {
  command: string;
  args: string[];
  /** Run `command` (with `args` appended) through the system shell. */
  shell: boolean;
  cwd: string;
  env: Record<string, string>;
  stdin: 'pipe' | 'ignore';
}

export interface ExitInfo {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the process never ran: the message says why in plain words. */
  startError: string | null;
}

export interface OutputHandlers {
  onStdout(chunk: Buffer): void;
  onStderr(chunk: Buffer): void;
}

/** Explains a spawn failure so that a person knows what to fix. */
export function describeStartError(spec: Pick<ProcessSpec, 'command' | 'cwd'>, code: string | undefined, fallback: string): string {
  switch (code) {
    case 'ENOENT':
      return `could not start '${spec.command}': command not found (check the name and your PATH)`;
    case 'EACCES':
      return `could not start '${spec.command}': permission denied (is it executable?)`;
    case 'ENOEXEC':
      return `could not start '${spec.command}': not an executable format`;
    default:
      return `could not start '${spec.command}': ${fallback}`;
  }
}

function checkCwd(cwd: string): string | null {
  if (!existsSync(cwd)) return `working directory does not exist: ${cwd}`;
  if (!statSync(cwd).isDirectory()) return `working directory is not a directory: ${cwd}`;
  return null;
}

export class SupervisedProcess {
  readonly exited: Promise<ExitInfo>;
  /** Resolves when both output pipes have ended or been released. */
  readonly outputDone: Promise<void>;
  private readonly child: ResultPromise | null;

  private constructor(child: ResultPromise | null, exited: Promise<ExitInfo>, outputDone: Promise<void>) {
    this.child = child;
    this.exited = exited;
    this.outputDone = outputDone;
  }

  static start(spec: ProcessSpec, handlers: OutputHandlers): SupervisedProcess {
    const cwdProblem = checkCwd(spec.cwd);
    if (cwdProblem) {
      const info: ExitInfo = { exitCode: null, signal: null, startError: `could not start '${spec.command}': ${cwdProblem}` };
      return new SupervisedProcess(null, Promise.resolve(info), Promise.resolve());
    }
    const child = execa(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env,
      extendEnv: false,
      shell: spec.shell,
      detached: process.platform !== 'win32', // its own process group
      stdin: spec.stdin,
      stdout: 'pipe',
      stderr: 'pipe',
      buffer: false,
      reject: false,
      cleanup: false,
      forceKillAfterDelay: false,
      stripFinalNewline: false,
      windowsHide: true,
    });
    // execa's own promise also waits for the pipes; we only need it to not reject unhandled.
    child.catch(() => undefined);

    const exited = new Promise<ExitInfo>((resolve) => {
      child.once('exit', (code, signal) => resolve({ exitCode: code, signal, startError: null }));
      child.once('error', (err: NodeJS.ErrnoException) => {
        if (child.pid === undefined || err.syscall?.startsWith('spawn'))
          resolve({ exitCode: null, signal: null, startError: describeStartError(spec, err.code, err.message) });
      });
    });

    const ended = (s: NodeJS.ReadableStream | null) =>
      new Promise<void>((resolve) => {
        if (!s) return resolve();
        s.once('end', resolve);
        s.once('close', resolve);
        s.once('error', () => resolve());
      });
    child.stdout?.on('data', handlers.onStdout);
    child.stderr?.on('data', handlers.onStderr);
    const outputDone = Promise.all([ended(child.stdout), ended(child.stderr)]).then(() => undefined);
    return new SupervisedProcess(child, exited, outputDone);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Writes to the job's stdin; false when stdin is closed or not a pipe. */
  write(data: string | Buffer): boolean {
    const stdin = this.child?.stdin;
    if (!stdin || stdin.destroyed || !stdin.writable) return false;
    stdin.write(data);
    return true;
  }

  closeStdin(): void {
    this.child?.stdin?.end();
  }

  /** Sends a signal to the whole process group (the job and its group members). */
  signalGroup(sig: NodeJS.Signals): boolean {
    const pid = this.child?.pid;
    if (pid === undefined) return false;
    try {
      if (process.platform === 'win32') this.child?.kill(sig);
      else process.kill(-pid, sig);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Lets go of the output pipes. Called after the job's tree is gone (or after
   * a short drain once the job exited) so that a descendant still holding the
   * pipe can never keep the supervisor waiting.
   */
  releasePipes(): void {
    this.child?.stdout?.destroy();
    this.child?.stderr?.destroy();
    this.child?.stdin?.destroy();
  }

  /** Pauses/resumes reading output (backpressure from a slow consumer). */
  pauseOutput(paused: boolean): void {
    for (const s of [this.child?.stdout, this.child?.stderr]) {
      if (!s) continue;
      if (paused) s.pause();
      else s.resume();
    }
  }
}
