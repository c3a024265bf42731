// One started process: spawned in its own process group, output captured as
// raw chunks, exit reported on the process's own exit (never on pipe closure,
// which an escaped descendant can hold open indefinitely).
// Plain child_process.spawn, not execa: everything execa adds (buffering,
// promises, transforms) is turned off here anyway, and loading it cost the
// CLI's start-up ~170 KB of bundle and a few ms per spawn.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import type { Readable } from 'node:stream';
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

/** How long a slow stream's lines may gather in the pipe before we read them (see gatherOutput). */
const GATHER_MS = 2;
/** A read this big means the pipe fills faster than we would wait: keep reading. */
const FAST_GULP_BYTES = 32 * 1024;
/** A stream that brought this many bytes over the last ~RATE_TAU_MS (≈ 12 MB/s) is read without pauses. */
const FAST_BYTES = 256 * 1024;
const RATE_TAU_MS = 20;

function checkCwd(cwd: string): string | null {
  if (!existsSync(cwd)) return `working directory does not exist: ${cwd}`;
  if (!statSync(cwd).isDirectory()) return `working directory is not a directory: ${cwd}`;
  return null;
}

export class SupervisedProcess {
  readonly exited: Promise<ExitInfo>;
  /** Resolves when both output pipes have ended or been released. */
  readonly outputDone: Promise<void>;
  private readonly child: ChildProcess | null;
  private consumerPaused = false;
  private readonly resumers: (() => void)[] = [];

  private constructor(
    child: ChildProcess | null,
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
    const stdio: StdioOptions = [spec.stdin, pipes ? pipes[0].writeFd : 'pipe', pipes ? pipes[1].writeFd : 'pipe'];
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env,
      shell: spec.shell,
      detached: process.platform !== 'win32', // its own process group
      stdio,
      windowsHide: true,
    });
    // A job that closes its stdin early makes our next write fail: that is its choice, not our crash.
    child.stdin?.on('error', () => undefined);
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

  /**
   * Writes to the job's stdin; false when stdin is closed or not a pipe.
   * Throws InputBacklogError when the job has not read what it was given
   * (the pipe is full and more than MAX_PENDING_INPUT_BYTES wait in memory).
   */
  write(data: string | Buffer): boolean {
    const stdin = this.child?.stdin;
    if (!stdin || stdin.destroyed || !stdin.writable) return false;
    if (stdin.writableLength + data.length > MAX_PENDING_INPUT_BYTES) throw new InputBacklogError(stdin.writableLength);
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
   * Reads output as it comes, with one exception. A job that writes slowly,
   * line by line, would wake us (a read, a callback, a relay write) for every
   * line: after a small read from a slow stream we pause for GATHER_MS so
   * lines pile up in the pipe and the next read takes many at once (invisible
   * in a terminal). A fast stream is never paused: the job would block on a
   * full pipe while we wait, and each read already brings kilobytes.
   * "Fast" is a decaying byte count (time constant RATE_TAU_MS) above FAST_BYTES.
   */
  private gatherOutput(stream: Readable | null, handler: (chunk: Buffer) => void): void {
    if (!stream) return;
    let gathering = false;
    let recent = 0;
    let last = performance.now();
    const resume = () => {
      gathering = false;
      if (!this.consumerPaused) stream.resume();
    };
    this.resumers.push(() => {
      if (!gathering) stream.resume();
    });
    stream.on('data', (chunk: Buffer) => {
      handler(chunk);
      const now = performance.now();
      recent = recent * Math.exp((last - now) / RATE_TAU_MS) + chunk.length;
      last = now;
      if (gathering || chunk.length >= FAST_GULP_BYTES || recent >= FAST_BYTES) return;
      gathering = true;
      stream.pause();
      setTimeout(resume, GATHER_MS);
    });
  }

  /** Pauses/resumes reading output (backpressure from a slow consumer). */
  pauseOutput(paused: boolean): void {
    this.consumerPaused = paused;
    if (paused) for (const s of this.outputs) s?.pause();
    else for (const resume of this.resumers) resume();
  }

  /**
   * Stops reading one output stream for good and closes our end of its pipe,
   * so the job gets what it would get from a closed pipe without us (SIGPIPE,
   * or EPIPE where it ignores that): used when our own stdout's reader is gone.
   */
  closeOutput(index: 0 | 1): void {
    this.outputs[index]?.destroy();
  }
}

/** Input held in memory for a job that is not reading its stdin; beyond this, more input is refused. */
export const MAX_PENDING_INPUT_BYTES = 1024 * 1024;

export class InputBacklogError extends Error {
  constructor(readonly pendingBytes: number) {
    super(`${pendingBytes} bytes of earlier input are still waiting for the job to read them`);
    this.name = 'InputBacklogError';
  }
}
