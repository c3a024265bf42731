// The job's streams and signals, always to the attempt running now: a restart
// gives the job a new process, and whoever types into the terminal, pipes
// stdin or presses Ctrl+C reaches that one without knowing about attempts.
// Between attempts (back-off) and after the end there is nobody to reach.
import type { StreamName } from '../detect/types';
import type { Attempt } from './attempt';

export class AttemptIo {
  constructor(private readonly current: () => Attempt | null) {}

  /** Forwards a signal (Ctrl+C from a terminal) to the attempt's process group. */
  signal(sig: NodeJS.Signals): boolean {
    return this.current()?.proc.signalGroup(sig) ?? false;
  }

  write(data: string | Buffer): boolean {
    return this.current()?.proc.write(data) ?? false;
  }

  closeInput(): void {
    this.current()?.proc.closeStdin();
  }

  /** Backpressure from whoever consumes the output (a slow terminal). */
  pauseOutput(paused: boolean): void {
    this.current()?.pauseOutput(paused);
  }

  /** Whoever read this stream is gone: stop reading it, so the job meets a closed pipe as it would without us. */
  closeOutput(stream: StreamName): void {
    this.current()?.closeOutput(stream);
  }

  /** Watch mode: output lines the terminal saw, and the command's end. */
  feed(lines: string[], end?: { exitCode: number | null }): void {
    this.current()?.feed(lines, end);
  }
}
