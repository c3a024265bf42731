// One started process: spawned in its own process group, output captured as
// raw chunks, exit reported on the process's own exit (never on pipe closure,
// which an escaped descendant can hold open indefinitely).
import { existsSync, statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { execa, type Options, type ResultPromise } from 'execa';
import { createOutputPipes } from './outputPipes';

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

/** How long output may gather in the pipe before we read it (see gatherOutput). */
const GATHER_MS = 2;
/** A gulp this big means the pipe is filling faster than we wait: read without waiting. */
const FAST_GULP_BYTES = 32 * 1024;

/** execa documents "a file descriptor integer" for stdout/stderr; its typings only list 1 and 2. */
const fdTarget = (fd: number): Options['stdout'] => fd as unknown as Options['stdout'];

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
  private consumerPaused = false;
  private readonly drains: (() => void)[] = [];

  private constructor(
    child: ResultPromise | null,
    exited: Promise<ExitInfo>,
    outputDone: Promise<void>,
    /** Our read ends of the job's stdout and stderr. */
    private readonly outputs: (Readable | null)[] = [],
  ) {
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
    const pipes = createOutputPipes();
    const options: Options = {
      cwd: spec.cwd,
      env: spec.env,
      extendEnv: false,
      shell: spec.shell,
      detached: process.platform !== 'win32', // its own process group
      stdin: spec.stdin,
      stdout: pipes ? fdTarget(pipes[0].writeFd) : 'pipe',
      stderr: pipes ? fdTarget(pipes[1].writeFd) : 'pipe',
      buffer: false,
      reject: false,
      cleanup: false,
      forceKillAfterDelay: false,
      stripFinalNewline: false,
      windowsHide: true,
    };
    const child = execa(spec.command, spec.args, options);
    // execa's own promise also waits for the pipes; we only need it to not reject unhandled.
    child.catch(() => undefined);
    // The child has its copies of the write ends; ours must go, or EOF never comes.
    for (const p of pipes ?? []) p.closeWriteEnd();
    const stdout = pipes ? pipes[0].reader : child.stdout;
    const stderr = pipes ? pipes[1].reader : child.stderr;

    const exited = new Promise<ExitInfo>((resolve) => {
      child.once('exit', (code, signal) => resolve({ exitCode: code, signal, startError: null }));
      child.once('error', (err: NodeJS.ErrnoException) => {
        if (child.pid === undefined || err.syscall?.startsWith('spawn'))
          resolve({ exitCode: null, signal: null, startError: describeStartError(spec, err.code, err.message) });
      });
    });

    const ended = (s: Readable | null) =>
      new Promise<void>((resolve) => {
        if (!s) return resolve();
        s.once('end', resolve);
        s.once('close', resolve);
        s.once('error', () => resolve());
      });
    const outputDone = Promise.all([ended(stdout), ended(stderr)]).then(() => undefined);
    const proc = new SupervisedProcess(child, exited, outputDone, [stdout, stderr]);
    proc.gatherOutput(stdout, handlers.onStdout);
    proc.gatherOutput(stderr, handlers.onStderr);
    return proc;
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
    for (const s of this.outputs) s?.destroy();
    this.child?.stdin?.destroy();
  }

  /**
   * Reads output in gulps: when data arrives we wait GATHER_MS and then take
   * everything there is at once. A job writing line by line would otherwise
   * wake us (a read, a callback) for every line. With a small stream buffer
   * (see outputPipes.ts) reading stops between gulps and the lines wait in the
   * pipe, so one read takes many of them. The delay is invisible in a terminal.
   */
  private gatherOutput(stream: Readable | null, handler: (chunk: Buffer) => void): void {
    if (!stream) return;
    let timer: NodeJS.Timeout | null = null;
    let lastGulp = 0;
    const drain = () => {
      timer = null;
      if (this.consumerPaused) return;
      lastGulp = 0;
      for (let chunk: Buffer | null; (chunk = stream.read() as Buffer | null) !== null; ) {
        lastGulp += chunk.length;
        handler(chunk);
      }
    };
    this.drains.push(drain);
    stream.on('readable', () => {
      // A job filling the pipe faster than we wait is read straight on.
      timer ??= setTimeout(drain, lastGulp >= FAST_GULP_BYTES ? 0 : GATHER_MS);
    });
  }

  /** Pauses/resumes reading output (backpressure from a slow consumer). */
  pauseOutput(paused: boolean): void {
    this.consumerPaused = paused;
    if (!paused) for (const drain of this.drains) drain();
  }
}
