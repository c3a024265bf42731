// `flowforge bench overhead`: what supervision costs a job, measured as a user
// would feel it. Each job writes straight into a real pipe that this process
// drains itself (no `cat`, no shell pipeline in between: a slow reader would
// hide the supervisor's own cost). Every job runs bare and under
// `flowforge run --quiet`, in alternating pairs so drift in machine load hits
// both sides alike. Both sides start under /usr/bin/time, a tiny C wrapper
// that reads the child's rusage with wait4: CPU time of everything the side
// waited for, and the peak RSS of its largest process — for the supervised
// side that is the supervisor itself, since the jobs are small C programs.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { numberFlag, parse } from '../util/args';
import { createOutputPipes } from '../supervisor/outputPipes';
import { renderTable } from '../util/table';
import { median } from './stats';

export const CLI = join(__dirname, 'cli.js');
export const TIME = '/usr/bin/time';

interface Shape {
  key: string;
  what: string;
  argv: string[];
  /** Bytes the job writes (checked: a side that loses output is a failure, not a fast run). */
  bytes: number | null;
  /** Wall-time ratio the issue asks for (null: judged in absolute time). */
  goalRatio: number | null;
}

/** Real programs, not scripts: seq and head write with stdio buffering, as builds and tools do. */
function shapes(scale: number): Shape[] {
  const short = Math.round(30_000_000 * scale);
  const long = Math.round(1_000_000 * scale);
  const flat = Math.round(100 * 1024 * 1024 * scale);
  return [
    { key: 'short_lines', what: `${short.toLocaleString('en')} short lines (seq)`, argv: ['seq', '1', String(short)], bytes: seqBytes(short), goalRatio: 1.25 },
    { key: 'kb_lines', what: `${long.toLocaleString('en')} lines of 1 KB (seq -f)`, argv: ['seq', '-f', '%01023g', '1', String(long)], bytes: long * 1024, goalRatio: 1.15 },
    { key: 'no_newlines', what: `${Math.round(flat / 1048576)} MB without newlines (head -c)`, argv: ['head', '-c', String(flat), '/dev/zero'], bytes: flat, goalRatio: 1.15 },
    { key: 'start_up', what: 'start-up: `true`', argv: ['true'], bytes: 0, goalRatio: null },
  ];
}

/** Bytes `seq 1 n` prints: each number's digits plus a newline. */
function seqBytes(n: number): number {
  let total = 0;
  for (let digits = 1, lo = 1; lo <= n; digits++, lo *= 10) total += (Math.min(n, lo * 10 - 1) - lo + 1) * (digits + 1);
  return total;
}

export interface Measured {
  wallMs: number;
  cpuMs: number;
  maxRssKb: number;
  bytes: number;
  code: number | null;
}

/**
 * Runs argv under /usr/bin/time with stdout into a fresh pipe that we drain
 * ourselves; `env` replaces the environment, `okCodes` are the exit codes
 * that are not failures (default: 0).
 */
export async function measure(argv: string[], dir: string, opts: { env?: NodeJS.ProcessEnv; okCodes?: number[] } = {}): Promise<Measured> {
  const pipes = createOutputPipes({ highWaterMark: 64 * 1024 });
  if (!pipes) throw new Error('the overhead benchmark needs mkfifo (Linux or macOS)');
  const [out, unused] = pipes;
  unused.closeWriteEnd();
  unused.reader.destroy();
  const timeFile = join(dir, 'rusage');
  const errFile = join(dir, 'stderr');
  const errFd = openSync(errFile, 'w');
  let bytes = 0;
  const drained = new Promise<void>((resolve) => {
    out.reader.on('data', (d: Buffer) => (bytes += d.length));
    out.reader.once('end', resolve);
    out.reader.once('close', resolve);
  });
  const started = process.hrtime.bigint();
  const child = spawn(TIME, ['-o', timeFile, '-f', '%U %S %M', '--', ...argv], { stdio: ['ignore', out.writeFd, errFd], env: opts.env });
  out.closeWriteEnd();
  closeSync(errFd);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (c) => resolve(c));
  });
  await drained;
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const [user, sys, rss] = readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  if (!(opts.okCodes ?? [0]).includes(code ?? -1)) throw new Error(`${argv.join(' ')} failed (exit ${code}): ${readFileSync(errFile, 'utf8').slice(0, 500)}`);
  return { wallMs, cpuMs: (user! + sys!) * 1000, maxRssKb: rss!, bytes, code };
}

/**
 * Shadow mode: detection runs in full (that is part of the cost), but a fast
 * printer that looks like a loop is recorded, never stopped mid-measurement.
 */
function supervised(db: string, job: string[]): string[] {
  return [process.execPath, CLI, 'run', '--no-api', '--quiet', '--shadow-mode', '--db', db, '--', ...job];
}

export interface Spread {
  median: number;
  min: number;
  max: number;
}

export const spread = (xs: number[]): Spread => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs) });

interface ShapeResult {
  key: string;
  what: string;
  pairs: number;
  bare: { wall_ms: number[]; cpu_ms: number[] };
  supervised: { wall_ms: number[]; cpu_ms: number[]; peak_rss_mb: number[] };
  wall_ratio: Spread;
  cpu_ratio: Spread | null;
  wall_ms: { bare: number; supervised: number };
  supervisor_peak_rss_mb: number;
  goal_ratio: number | null;
}

async function measureShape(shape: Shape, pairs: number, db: string, dir: string): Promise<ShapeResult> {
  const bare: Measured[] = [];
  const under: Measured[] = [];
  for (let i = 0; i < pairs; i++) {
    // Alternate which goes first so drift in machine load does not favour one side.
    for (const side of i % 2 === 0 ? ['bare', 'under'] : ['under', 'bare']) {
      const m = await measure(side === 'bare' ? shape.argv : supervised(db, shape.argv), dir);
      if (shape.bytes !== null && m.bytes !== shape.bytes) throw new Error(`${side} ${shape.key}: got ${m.bytes} bytes, expected ${shape.bytes}`);
      (side === 'bare' ? bare : under).push(m);
    }
  }
  const ratios = (f: (m: Measured) => number) => bare.map((b, i) => f(under[i]!) / f(b));
  // A job that takes no measurable CPU (`true`) has no CPU ratio, only absolute numbers.
  const cpuMeasurable = bare.every((b) => b.cpuMs > 0);
  return {
    key: shape.key,
    what: shape.what,
    pairs,
    bare: { wall_ms: bare.map((m) => round(m.wallMs)), cpu_ms: bare.map((m) => round(m.cpuMs)) },
    supervised: { wall_ms: under.map((m) => round(m.wallMs)), cpu_ms: under.map((m) => round(m.cpuMs)), peak_rss_mb: under.map((m) => round(m.maxRssKb / 1024)) },
    wall_ratio: spread(ratios((m) => m.wallMs)),
    cpu_ratio: cpuMeasurable ? spread(ratios((m) => m.cpuMs)) : null,
    wall_ms: { bare: median(bare.map((m) => m.wallMs)), supervised: median(under.map((m) => m.wallMs)) },
    supervisor_peak_rss_mb: Math.max(...under.map((m) => m.maxRssKb)) / 1024,
    goal_ratio: shape.goalRatio,
  };
}

const round = (x: number) => Math.round(x * 10) / 10;

/** CPU used by the supervisor process itself while a silent job sleeps. */
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
  const percent = (((c1 - c0) * 10) / (Date.now() - t0)) * 100;
  await new Promise((r) => child.on('close', r));
  return { seconds, supervisor_cpu_percent_of_core: Math.round(percent * 100) / 100 };
}

const f2 = (x: number) => x.toFixed(2);
const range = (s: Spread) => `${f2(s.min)}–${f2(s.max)}`;

function goalText(r: ShapeResult): string {
  if (r.goal_ratio !== null) return `wall ≤ ${f2(r.goal_ratio)}`;
  return 'wall ≤ 150 ms, RSS ≤ 60 MB';
}

function verdict(r: ShapeResult): string {
  if (r.goal_ratio !== null) return r.wall_ratio.median <= r.goal_ratio ? 'PASS' : 'FAIL';
  return r.wall_ms.supervised <= 150 && r.supervisor_peak_rss_mb <= 60 ? 'PASS' : 'FAIL';
}

export async function runOverheadBench(argv: string[]): Promise<{ json: unknown; table: string }> {
  const { values } = parse(argv, { pairs: { type: 'string' }, scale: { type: 'string' }, quiet: { type: 'string' }, only: { type: 'string' } });
  const pairs = numberFlag(values, 'pairs', { min: 1, max: 50, integer: true }) ?? 5;
  const scale = numberFlag(values, 'scale', { min: 0.001, max: 10 }) ?? 1;
  const quietSeconds = numberFlag(values, 'quiet', { min: 0, max: 600 }) ?? 10;
  const only = typeof values.only === 'string' ? values.only.split(',') : null;
  if (!existsSync(TIME)) throw new Error(`${TIME} is needed to read each side's CPU and peak RSS (Debian: apt-get install time)`);
  const dir = mkdtempSync(join(tmpdir(), 'ff-bench-'));
  const loadBefore = loadavg();
  try {
    const db = join(dir, 'bench.db');
    const results: ShapeResult[] = [];
    for (const shape of shapes(scale)) {
      if (only && !only.includes(shape.key)) continue;
      // Start-up is short and noisy: twice the pairs.
      results.push(await measureShape(shape, shape.key === 'start_up' ? pairs * 2 : pairs, db, dir));
    }
    const quiet = quietSeconds > 0 ? await quietCpu(quietSeconds, db) : null;
    const machine = { cores: (await import('node:os')).cpus().length, loadavg_before: loadBefore, loadavg_after: loadavg() };
    const json = { pairs, scale, results, quiet, machine };
    const table = [
      renderTable(results, [
        { title: 'job', value: (r) => r.what },
        { title: 'bare ms', value: (r) => r.wall_ms.bare.toFixed(0), align: 'right' },
        { title: 'under ms', value: (r) => r.wall_ms.supervised.toFixed(0), align: 'right' },
        { title: 'wall ratio', value: (r) => f2(r.wall_ratio.median), align: 'right' },
        { title: 'spread', value: (r) => range(r.wall_ratio) },
        { title: 'CPU ratio', value: (r) => (r.cpu_ratio ? f2(r.cpu_ratio.median) : '-'), align: 'right' },
        { title: 'CPU spread', value: (r) => (r.cpu_ratio ? range(r.cpu_ratio) : '-') },
        { title: 'sup. peak RSS MB', value: (r) => r.supervisor_peak_rss_mb.toFixed(0), align: 'right' },
        { title: 'goal', value: goalText },
        { title: '', value: verdict },
      ]),
      '',
      quiet === null ? '(supervisor CPU of a silent job: not measured, --quiet 0)' : `supervisor CPU while a silent job runs (${quiet.seconds} s): ${quiet.supervisor_cpu_percent_of_core}% of a core`,
      `machine: ${machine.cores} cores, load average ${loadBefore.map(f2).join(' ')} before, ${machine.loadavg_after.map(f2).join(' ')} after`,
    ].join('\n');
    return { json, table };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
