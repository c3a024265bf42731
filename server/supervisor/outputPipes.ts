// Real pipes for a job's stdout and stderr. Node gives a child UNIX socket
// pairs, which cost a job that writes line by line far more than the pipe a
// shell would give it (measured here: 2 M one-line writes took 3.6 s into a
// socket pair, 2.3 s into a pipe). Node cannot make an anonymous pipe, so we
// make two named ones (FIFOs) in a private directory, open both ends and
// remove the names at once. Where that is not possible (Windows, no mkfifo),
// callers fall back to Node's own pipes.
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import { Socket, type SocketConstructorOpts } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface OutputPipe {
  /** Give this to the child as its stdout/stderr, then call `closeWriteEnd()`. */
  writeFd: number;
  reader: Socket;
  closeWriteEnd(): void;
}

function openFifo(path: string, highWaterMark: number): OutputPipe {
  // Non-blocking read end first: opening the write end then never blocks.
  const readFd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const writeFd = openSync(path, constants.O_WRONLY);
  let open = true;
  return {
    writeFd,
    // A small buffer: once it holds a gulp, reading stops and lines wait in the
    // pipe (64 KB). net.Socket passes this on to its stream; @types/node omits it.
    reader: new Socket({ fd: readFd, readable: true, writable: false, readableHighWaterMark: highWaterMark } as SocketConstructorOpts),
    closeWriteEnd: () => {
      if (open) closeSync(writeFd);
      open = false;
    },
  };
}

/** Two pipes (stdout, stderr), or null where the platform cannot make them. */
export function createOutputPipes(opts: { highWaterMark?: number } = {}): [OutputPipe, OutputPipe] | null {
  const highWaterMark = opts.highWaterMark ?? 1024;
  if (process.platform === 'win32') return null;
  const dir = mkdtempSync(join(tmpdir(), 'flowforge-pipes-'));
  try {
    const out = join(dir, 'stdout');
    const err = join(dir, 'stderr');
    execFileSync('mkfifo', ['-m', '600', out, err], { stdio: 'ignore' });
    const first = openFifo(out, highWaterMark);
    try {
      return [first, openFifo(err, highWaterMark)];
    } catch (e) {
      first.closeWriteEnd();
      first.reader.destroy();
      throw e;
    }
  } catch {
    return null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
