// Scrubbing FlowForge's own secrets out of this process's initial environment.
//
// On Linux, /proc/<pid>/environ is not process.env: it is the memory block the
// kernel filled at exec time (env_start..env_end in /proc/<pid>/stat), and any
// process of the same user can read it — a supervised job reaches its
// supervisor's through /proc/$PPID/environ. Deleting or overwriting process.env
// changes libc's pointer array, never that block. So the block itself is
// rewritten, through /proc/self/mem (a process may always write its own
// memory): the value bytes of each secret become NULs, and process.env keeps a
// heap copy so the code that legitimately reads the key still can.
import { closeSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';

export interface ScrubResult {
  /** Variables whose value was wiped from the initial block. */
  scrubbed: string[];
  /** Why the block could not be rewritten (not Linux, /proc/self/mem refused); null when it was, or had nothing to wipe. */
  failure: string | null;
}

/** env_start and env_end of this process (fields 50 and 51 of /proc/self/stat, Linux 3.5+). */
function environBounds(): [number, number] | null {
  const stat = readFileSync('/proc/self/stat', 'latin1');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const start = Number(fields[50 - 3]);
  const end = Number(fields[51 - 3]);
  return Number.isSafeInteger(start) && Number.isSafeInteger(end) && end > start ? [start, end] : null;
}

/**
 * Wipes the values of every variable named by `isSecret` from the initial
 * environment block, keeping them in process.env. Safe to call more than once.
 */
export function scrubInitialEnvironment(isSecret: (name: string) => boolean, env: NodeJS.ProcessEnv = process.env): ScrubResult {
  const wanted = Object.keys(env).filter((k) => isSecret(k) && env[k]);
  if (wanted.length === 0) return { scrubbed: [], failure: null };
  if (process.platform !== 'linux') return { scrubbed: [], failure: `${process.platform} has no /proc/<pid>/environ to scrub` };
  const kept = new Map(wanted.map((k) => [k, env[k]!]));
  const scrubbed: string[] = [];
  let fd: number | undefined;
  try {
    const bounds = environBounds();
    if (!bounds) return { scrubbed, failure: 'this kernel does not show where the environment block is' };
    const [start, end] = bounds;
    fd = openSync('/proc/self/mem', 'r+');
    const block = Buffer.alloc(end - start);
    readSync(fd, block, 0, block.length, start);
    for (let at = 0; at < block.length; ) {
      const stop = block.indexOf(0, at);
      const entryEnd = stop < 0 ? block.length : stop;
      const eq = block.indexOf(0x3d, at);
      if (eq > at && eq < entryEnd) {
        const name = block.toString('latin1', at, eq);
        if (kept.has(name) && entryEnd > eq + 1) {
          const zeros = Buffer.alloc(entryEnd - eq - 1);
          writeSync(fd, zeros, 0, zeros.length, start + eq + 1);
          scrubbed.push(name);
        }
      }
      at = entryEnd + 1;
    }
  } catch (err) {
    return { scrubbed, failure: `could not rewrite /proc/self/mem: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
  } finally {
    if (fd !== undefined) closeSync(fd);
    // libc's getenv read the wiped block; give process.env its own copy back.
    for (const [k, v] of kept) env[k] = v;
  }
  return { scrubbed, failure: null };
}
