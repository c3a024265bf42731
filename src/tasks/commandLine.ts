// Turning an ordinary VS Code task (a ShellExecution or a ProcessExecution)
// into a `flowforge` task definition: the same command, arguments, working
// directory and environment, quoted the way the shell would have seen them.
// POSIX shells; Windows quoting is not handled (see docs/extension.md).
import type { FlowforgeTaskDefinition } from './taskDefinition';

/** vscode.ShellQuoting, by value (this module does not import 'vscode'). */
export const Quoting = { Escape: 1, Strong: 2, Weak: 3 } as const;

export type ShellArg = string | { value: string; quoting: number };

/** The parts of a task's execution that matter here, without 'vscode'. */
export type ExecutionLike =
  | { kind: 'shell'; commandLine?: string; command?: ShellArg; args?: ShellArg[]; cwd?: string; env?: Record<string, string> }
  | { kind: 'process'; process: string; args: string[]; cwd?: string; env?: Record<string, string> };

const SAFE = /^[\w@%+=:,./-]+$/;

export function quoteShellArg(arg: ShellArg): string {
  const { value, quoting } = typeof arg === 'string' ? { value: arg, quoting: undefined } : arg;
  if (value === '') return "''";
  switch (quoting) {
    case Quoting.Weak:
      return `"${value.replace(/(["\\$`])/g, '\\$1')}"`;
    case Quoting.Escape:
      return value.replace(/([^\w@%+=:,./-])/g, '\\$1');
    case Quoting.Strong:
      return `'${value.replace(/'/g, `'\\''`)}'`;
    default:
      return SAFE.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
  }
}

/** The command line a ShellExecution runs: its commandLine as written, or its command and args quoted. */
export function shellCommandLine(e: { commandLine?: string; command?: ShellArg; args?: ShellArg[] }): string {
  if (e.commandLine !== undefined) return e.commandLine;
  if (e.command === undefined) return '';
  return [e.command, ...(e.args ?? [])].map(quoteShellArg).join(' ');
}

/** The `flowforge` definition that runs the same thing under supervision. */
export function definitionFor(e: ExecutionLike, name: string): FlowforgeTaskDefinition {
  const common = {
    type: 'flowforge' as const,
    name,
    ...(e.cwd ? { cwd: e.cwd } : {}),
    ...(e.env && Object.keys(e.env).length ? { env: e.env } : {}),
  };
  return e.kind === 'shell'
    ? { ...common, command: shellCommandLine(e), shell: true }
    : { ...common, command: e.process, args: e.args, shell: false };
}

/** `npm run <script>`, quoted for the shell. */
export function npmScriptCommand(script: string): string {
  return `npm run ${quoteShellArg(script)}`;
}
