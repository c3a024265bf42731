// A terminal that only says why a task cannot run (a malformed tasks.json
// entry, an untrusted workspace) and ends with a non-zero code, so the
// failure is visible where the person looks, never silent.
import type * as vscode from 'vscode';
import { EventEmitter } from '../util/eventEmitter';
import { paint } from './runOutcome';

/** Exit code of a task FlowForge refused to run (like a usage error). */
export const REFUSED_EXIT_CODE = 2;

export class MessagePty implements vscode.Pseudoterminal {
  private readonly writeEmitter = new EventEmitter<string>();
  private readonly closeEmitter = new EventEmitter<number>();
  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;

  constructor(private readonly lines: string[]) {}

  open(): void {
    const [first = '', ...rest] = this.lines;
    this.writeEmitter.fire([paint.red(first), ...rest].join('\r\n') + '\r\n');
    setTimeout(() => this.closeEmitter.fire(REFUSED_EXIT_CODE), 150);
  }

  close(): void {
    this.writeEmitter.dispose();
  }
}
