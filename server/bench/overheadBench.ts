// `flowforge bench overhead`: what supervision costs a job. Runs a job that
// prints 2 million short lines bare and under `flowforge run`, alternating so
// machine noise hits both alike, and reports the wall-time ratio; measures a
// fast printer's throughput both ways; and measures the supervisor's own CPU
// while a quiet job runs.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { numberFlag, parse } from '../util/args';
import { renderTable } from '../util/table';
import { median } from './stats';

const CLI = join(__dirname, 'cli.js');

/** Prints N short lines the way a real job does: one write call per line. */
const PRINTER = `const n=Number(process.argv[1]);const o=process.stdout;let i=0;
function go(){while(i<n){i++;if(!o.write('line '+i+' ok\\n')){o.once('drain',go);return;}}}go();`;

/** Prints as fast as it can for a fixed time, then reports how many lines it wrote. */
const FLOODER = `const end=Date.now()+Number(process.argv[1]);const o=process.stdout;let i=0;
function go(){while(Date.now()<end){for(let k=0;k<256;k++){i++;if(!o.write('['+i+'] Processing item '+(i%7)+' at 0x'+(i*2654435761%4294967296).toString(16)+'\\n')){o.once('drain',go);return;}}}
process.stderr.write('LINES '+i+'\\n');}go();`;

interface Timed {
  ms: number;
  code: number | null;
  stderr: string;
}

/**
 * Runs a command the way a shell pipeline would: its stdout is a real pipe to
 * `cat` (Node would give it a socket pair, which is slower for a job that
 * writes line by line, and would flatter whichever side does not use one).
 */
function timeRun(argv: string[]): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn('bash', ['-o', 'pipefail', '-c', '"$@" | cat > /dev/null', 'bash', ...argv], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    child.on('error', reject);
    child.on('close', (code) => resolve({ ms: Number(process.hrtime.bigint() - started) / 1e6, code, stderr }));
  });
}

/**
 * Shadow mode: detection runs in full (that is part of the cost), but a fast
 * printer that looks like a loop is recorded, never stopped mid-measurement.
 */
function supervised(db: string, job: string[]): string[] {
  return [process.execPath, CLI, 'run', '--no-api', '--quiet', '--shadow-mode', '--db', db, '--', ...job];
}

async function wallRatio(pairs: number, lines: number, db: string) {
  const job = [process.execPath, '-e', PRINTER, String(lines)];
  const bare: number[] = [];
  const under: number[] = [];
  for (let i = 0; i < pairs; i++) {
    // Alternate which goes first so drift in machine load does not favour one side.
    const order = i % 2 === 0 ? ['bare', 'under'] : ['under', 'bare'];
    for (const side of order) {
      const r = await timeRun(side === 'bare' ? job : supervised(db, job));
      if (r.code !== 0) throw new Error(`${side} run failed (exit ${r.code}): ${r.stderr.slice(0, 500)}`);
      (side === 'bare' ? bare : under).push(r.ms);
    }
  }
  const ratios = bare.map((b, i) => under[i]! / b);
  return { bare_ms: bare, supervised_ms: under, ratio_median: median(ratios), ratio_min: Math.min(...ratios), ratio_max: Math.max(...ratios) };
}

async function floodThroughput(pairs: number, seconds: number, db: string) {
  const job = [process.execPath, '-e', FLOODER, String(seconds * 1000)];
  const linesOf = (r: Timed) => Number(/LINES (\d+)/.exec(r.stderr)?.[1] ?? NaN);
  const ratios: number[] = [];
  const bare: number[] = [];
  const under: number[] = [];
  for (let i = 0; i < pairs; i++) {
    const b = linesOf(await timeRun(job));
    const u = linesOf(await timeRun(supervised(db, job)));
    bare.push(b);
    under.push(u);
    ratios.push(b / u);
  }
  return { seconds, bare_lines: bare, supervised_lines: under, slowdown_median: median(ratios), slowdown_max: Math.max(...ratios) };
}

/** CPU used by the supervisor process itself (and its reaper) while a silent job sleeps. */
async function quietCpu(seconds: number, db: string) {
  const child = spawn(process.execPath, supervised(db, ['sleep', String(seconds + 3)]).slice(1), { stdio: 'ignore' });
  const ticks = (pid: number) => {
    const t = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const f = t.slice(t.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  };
  await new Promise((r) => setTimeout(r, 2000)); // start-up is not steady state
  const t0 = Date.now();
  const c0 = ticks(child.pid!);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const c1 = ticks(child.pid!);
  const percent = ((c1 - c0) * 10) / (Date.now() - t0) * 100;
  await new Promise((r) => child.on('close', r));
  return { seconds, supervisor_cpu_percent_of_core: Math.round(percent * 100) / 100 };
}

export async function runOverheadBench(argv: string[]): Promise<{ json: unknown; table: string }> {
  const { values } = parse(argv, { pairs: { type: 'string' }, lines: { type: 'string' }, quiet: { type: 'string' } });
  const pairs = numberFlag(values, 'pairs', { min: 1, max: 50, integer: true }) ?? 5;
  const lines = numberFlag(values, 'lines', { min: 1000, max: 50_000_000, integer: true }) ?? 2_000_000;
  const quietSeconds = numberFlag(values, 'quiet', { min: 2, max: 600 }) ?? 15;
  const dir = mkdtempSync(join(tmpdir(), 'ff-bench-'));
  try {
    const db = join(dir, 'bench.db');
    const wall = await wallRatio(pairs, lines, db);
    const flood = await floodThroughput(Math.min(pairs, 3), 5, db);
    const quiet = await quietCpu(quietSeconds, db);
    const json = { lines, pairs, wall, flood, quiet };
    const table = renderTable(
      [
        { what: `${lines} lines, wall time ratio (median)`, value: wall.ratio_median.toFixed(3), spread: `${wall.ratio_min.toFixed(3)}–${wall.ratio_max.toFixed(3)}`, goal: '≤ 1.10' },
        { what: 'bare / supervised median ms', value: `${median(wall.bare_ms).toFixed(0)} / ${median(wall.supervised_ms).toFixed(0)}`, spread: '', goal: '' },
        { what: 'flood throughput slowdown (bare/supervised)', value: flood.slowdown_median.toFixed(3), spread: `max ${flood.slowdown_max.toFixed(3)}`, goal: '≤ 1.10' },
        { what: `supervisor CPU, quiet job (${quietSeconds} s)`, value: `${quiet.supervisor_cpu_percent_of_core}%`, spread: '', goal: '< 1% of a core' },
      ],
      [
        { title: 'measure', value: (r) => r.what },
        { title: 'value', value: (r) => r.value, align: 'right' },
        { title: 'spread', value: (r) => r.spread },
        { title: 'goal', value: (r) => r.goal },
      ],
    );
    return { json, table };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
