// Command-line parsing shared by the subcommands: node's parseArgs with our
// own clear messages, numbers checked, and `--` separating the job's command.
import { parseArgs, type ParseArgsConfig } from 'node:util';

export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;

export function parse(argv: string[], options: Options): { values: Record<string, string | boolean | undefined>; rest: string[] } {
  const dash = argv.indexOf('--');
  const own = dash >= 0 ? argv.slice(0, dash) : argv;
  const rest = dash >= 0 ? argv.slice(dash + 1) : [];
  try {
    const { values, positionals } = parseArgs({ args: own, options, allowPositionals: true, strict: true });
    return { values: values as Record<string, string | boolean | undefined>, rest: [...positionals, ...rest] };
  } catch (err) {
    throw new UsageError(String((err as Error).message).replace(/^TypeError \[\w+\]: /, ''));
  }
}

export function numberFlag(
  values: Record<string, unknown>,
  name: string,
  range: { min: number; max: number; integer?: boolean },
): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  const okInt = !range.integer || Number.isInteger(n);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(n) || !okInt || n < range.min || n > range.max) {
    const kind = range.integer ? 'a whole number' : 'a number';
    throw new UsageError(`--${name} must be ${kind} between ${range.min} and ${range.max} (got '${String(raw)}')`);
  }
  return n;
}

export function oneOf<T extends string>(values: Record<string, unknown>, name: string, allowed: readonly T[]): T | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  if (typeof raw === 'string' && (allowed as readonly string[]).includes(raw)) return raw as T;
  throw new UsageError(`--${name} must be one of ${allowed.join(', ')} (got '${String(raw)}')`);
}

export const str = (values: Record<string, unknown>, name: string): string | undefined =>
  typeof values[name] === 'string' ? (values[name] as string) : undefined;

/**
 * How the person can call this CLI again, for the hints we print: under npm
 * (`npm run demo`, `npx flowforge`) the bare name is usually not on PATH.
 */
export function selfCommand(env: NodeJS.ProcessEnv = process.env): string {
  return env.npm_execpath ? 'npx flowforge' : 'flowforge';
}
