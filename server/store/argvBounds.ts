// A run's argv and command line are stored in its row and again in every
// journal row of its updates (lifecycle, peaks). A command line can be as big
// as the kernel allows (ARG_MAX, megabytes), so what the store keeps is
// bounded: enough to recognise the command, with a marker saying how much
// was left out. The job itself always gets its full argv.

export const MAX_STORED_ARG_BYTES = 2048;
export const MAX_STORED_ARGV_BYTES = 16 * 1024;

/** One string cut to `max` UTF-16 units, with a marker naming what was cut. */
export function boundText(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max)}…[+${s.length - max} chars not stored]`;
}

/** The argv as stored: each entry and the whole list bounded; a last entry says what was left out. */
export function boundArgv(argv: readonly string[], maxTotal = MAX_STORED_ARGV_BYTES, maxEach = MAX_STORED_ARG_BYTES): string[] {
  const out: string[] = [];
  let total = 0;
  for (let i = 0; i < argv.length; i++) {
    const entry = boundText(argv[i]!, maxEach);
    if (total + entry.length > maxTotal) {
      const rest = argv.slice(i).reduce((n, a) => n + a.length, 0);
      out.push(`…[+${argv.length - i} more arguments, ${rest} chars not stored]`);
      break;
    }
    out.push(entry);
    total += entry.length;
  }
  return out;
}
