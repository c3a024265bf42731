// The shape of vscode.EventEmitter without importing 'vscode', so the
// Pseudoterminal and other adapters can be driven by tests outside VS Code.
import type * as vscode from 'vscode';

export class EventEmitter<T> {
  private readonly listeners = new Set<(e: T) => void>();

  readonly event: vscode.Event<T> = (listener, thisArgs?, disposables?) => {
    const fn = (e: T) => listener.call(thisArgs, e);
    this.listeners.add(fn);
    const d = { dispose: () => this.listeners.delete(fn) };
    disposables?.push(d);
    return d;
  };

  fire(e: T): void {
    for (const fn of [...this.listeners]) fn(e);
  }

  dispose(): void {
    this.listeners.clear();
  }
}
