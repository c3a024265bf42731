// `flowforge bench corpus [--manifest PATH] [--json FILE] [--only ID,ID] [--cli PATH]`: runs
// a corpus manifest (the format of ../shared/corpus/manifest.json) case by
// case, never in parallel (CPU cases would disturb each other), each as
//   node dist/cli.js run --no-api --db <tmp> --summary-json <tmp> <flowforge_args> -- <command>
// from the manifest's folder. A case still running at max_run_s is stopped by
// the harness (SIGTERM to flowforge, which stops its job). 5 s after a case
// ends, any process whose command line names the case's file and that carries
// this bench's token in its environment is a survivor: it is killed and counted.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { renderTable } from '../util/table';

const Case = z.object({
  id: z.string(),
  file: z.string(),
  command: z.array(z.string()).min(1),
  flowforge_args: z.array(z.string()).default([]),
  expect: z.enum(['intervene', 'flag', 'clean']),
  max_run_s: z.number().positive(),
  within_s: z.number().positive().optional(),
  what: z.string().optional(),
});
type Case = z.infer<typeof Case>;
const Manifest = z.object({ about: z.string().optional(), cases: z.array(Case).min(1) });

/** The `--summary-json` object of `flowforge run` (cli/runCommand.ts summaryOf), as far as the bench reads it. */
const Summary = z.object({
  outcome: z.string(),
  intervened: z.boolean(),
  action: z.string().nullable(),
  first_flag_s: z.number().nullable(),
  intervened_after_s: z.number().nullable(),
  alerts: z.number(),
  rules: z.array(z.string()),
  peak_cpu_percent: z.number(),
  duration_s: z.number(),
});
type Summary = z.infer<typeof Summary>;

const SURVIVOR_WAIT_MS = 5_000;
/** After the harness's SIGTERM, flowforge has this long (beyond the job's grace) to finish. */
const STOP_WAIT_MS = 15_000;
const TOKEN_VAR = 'FLOWFORGE_BENCH_TOKEN';

export interface CaseResult {
  id: string;
  expect: Case['expect'];
  within_s: number | null;
  outcome: string;
  flag_s: number | null;
  act_s: number | null;
  alerts: number;
  survivors: number;
  rules: string[];
  pass: boolean;
  /** Why it failed, in words. */
  note: string;
  stderr_tail: string;
}

function repoRoot(): string {
  for (let d = __dirname; ; d = dirname(d)) {
    if (existsSync(join(d, 'package.json')) && existsSync(join(d, 'server'))) return d;
    if (dirname(d) === d) return resolve(__dirname, '..');
  }
}

function cliPath(): string {
  const beside = join(__dirname, 'cli.js'); // bundled: dist/cli.js runs this code
  return existsSync(beside) ? beside : join(repoRoot(), 'dist', 'cli.js');
}

interface BenchArgs {
  manifest: string;
  only: string[] | null;
  json: string | null;
  /** The flowforge CLI bundle to run (default: the built dist/cli.js). */
  cli: string;
}

function parseArgs(args: string[]): BenchArgs {
  const out: BenchArgs = { manifest: join(repoRoot(), 'test/fixtures/corpus/manifest.json'), only: null, json: null, cli: cliPath() };
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i]!.split(/=(.*)/s, 2) as [string, string | undefined];
    const value = () => {
      const v = inline ?? args[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    if (flag === '--manifest') out.manifest = resolve(value());
    else if (flag === '--only') out.only = value().split(',').map((s) => s.trim()).filter(Boolean);
    else if (flag === '--json') out.json = resolve(value());
    else if (flag === '--cli') out.cli = resolve(value());
    else throw new Error(`unknown option '${flag}' (use --manifest PATH, --only ID,ID, --json FILE, --cli PATH)`);
  }
  return out;
}

function loadManifest(path: string): z.infer<typeof Manifest> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`manifest ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : (e as Error).message}`);
  }
  const parsed = Manifest.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0]!;
    throw new Error(`manifest ${path}: ${first.path.join('.')}: ${first.message}`);
  }
  return parsed.data;
}

/** Processes whose command line names `file` and whose environment carries our token. */
function survivorsOf(file: string, token: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'latin1');
      if (!cmd.includes(file)) continue;
      if (!readFileSync(`/proc/${name}/environ`, 'latin1').includes(`${TOKEN_VAR}=${token}`)) continue;
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      if (stat.slice(stat.lastIndexOf(')') + 2)[0] === 'Z') continue;
      found.push(Number(name));
    } catch {
      /* gone, or not ours to read */
    }
  }
  return found;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function runCase(c: Case, cwd: string, cli: string): Promise<CaseResult> {
  const tmp = mkdtempSync(join(tmpdir(), `ff-corpus-${c.id}-`));
  const summaryPath = join(tmp, 'summary.json');
  const token = randomUUID();
  const argv = [cli, 'run', '--no-api', '--db', join(tmp, 'ff.db'), '--summary-json', summaryPath, ...c.flowforge_args, '--', ...c.command];
  const child = spawn(process.execPath, argv, { cwd, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, [TOKEN_VAR]: token } });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString('utf8')).slice(-8_000)));
  const ended = new Promise<void>((r) => child.on('close', () => r()));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), STOP_WAIT_MS).unref();
  }, c.max_run_s * 1000);
  await ended;
  clearTimeout(timer);

  await sleep(SURVIVOR_WAIT_MS);
  const left = survivorsOf(c.file, token);
  for (const pid of left) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }

  let summary: Summary | null = null;
  try {
    summary = Summary.parse(JSON.parse(readFileSync(summaryPath, 'utf8')));
  } catch {
    summary = null;
  }
  rmSync(tmp, { recursive: true, force: true });
  return judge(c, summary, timedOut, left.length, stderr);
}

function judge(c: Case, s: Summary | null, timedOut: boolean, survivors: number, stderr: string): CaseResult {
  const within = c.within_s ?? null;
  const base = {
    id: c.id,
    expect: c.expect,
    within_s: within,
    outcome: s ? (timedOut && !s.intervened ? 'harness timeout' : s.outcome) : 'no summary',
    flag_s: s?.first_flag_s ?? null,
    act_s: s?.intervened ? s.intervened_after_s : null,
    alerts: s?.alerts ?? 0,
    survivors,
    rules: s?.rules ?? [],
    stderr_tail: stderr.split('\n').slice(-12).join('\n'),
  };
  const notes: string[] = [];
  if (!s) notes.push('flowforge wrote no summary');
  if (survivors > 0) notes.push(`${survivors} process(es) left 5 s after the end`);
  if (s && c.expect === 'intervene') {
    if (!s.intervened) notes.push('not stopped');
    else if (within !== null && (s.intervened_after_s ?? Infinity) > within) notes.push(`stopped after ${s.intervened_after_s} s > ${within} s`);
  }
  if (s && c.expect === 'flag') {
    if (s.first_flag_s === null) notes.push('never flagged');
    else if (within !== null && s.first_flag_s > within) notes.push(`flagged after ${s.first_flag_s} s > ${within} s`);
  }
  if (s && c.expect === 'clean' && s.intervened) notes.push(`stopped by FlowForge (${s.rules.join(', ')})`);
  return { ...base, pass: notes.length === 0, note: notes.join('; ') };
}

export function summarise(results: CaseResult[]) {
  const runaway = results.filter((r) => r.expect !== 'clean');
  const clean = results.filter((r) => r.expect === 'clean');
  const cleanAlerts = clean.reduce((n, r) => n + r.alerts, 0);
  return {
    caught: runaway.filter((r) => r.pass).length,
    runaways: runaway.length,
    false_stops: clean.filter((r) => r.act_s !== null).length,
    clean_alerts: cleanAlerts,
    passed: results.every((r) => r.pass) && cleanAlerts <= 2,
  };
}

export function renderResults(results: CaseResult[]): string {
  const s = summarise(results);
  const table = renderTable(results, [
    { title: 'case', value: (r) => r.id },
    { title: 'expect', value: (r) => (r.within_s === null ? r.expect : `${r.expect} ≤${r.within_s}s`) },
    { title: 'outcome', value: (r) => r.outcome },
    { title: 'flag s', value: (r) => r.flag_s, align: 'right' },
    { title: 'act s', value: (r) => r.act_s, align: 'right' },
    { title: 'alerts', value: (r) => r.alerts, align: 'right' },
    { title: 'survivors', value: (r) => r.survivors, align: 'right' },
    { title: 'rules', value: (r) => r.rules.join(',') || '-', max: 28 },
    { title: 'verdict', value: (r) => (r.pass ? 'PASS' : `FAIL: ${r.note}`), max: 60 },
  ]);
  return [
    table,
    '',
    `caught ${s.caught}/${s.runaways} runaways; false stops ${s.false_stops}; alert noise on clean cases ${s.clean_alerts} (limit 2)` +
      ` -> ${s.passed ? 'PASS' : 'FAIL'}`,
  ].join('\n');
}

export async function runCorpusBench(args: string[]): Promise<{ json: unknown; table: string }> {
  const opts = parseArgs(args);
  const manifest = loadManifest(opts.manifest);
  const cases = opts.only ? manifest.cases.filter((c) => opts.only!.includes(c.id)) : manifest.cases;
  if (opts.only && cases.length !== opts.only.length) {
    const known = new Set(manifest.cases.map((c) => c.id));
    throw new Error(`unknown case id(s): ${opts.only.filter((id) => !known.has(id)).join(', ')}`);
  }
  const { cli } = opts;
  if (!existsSync(cli)) throw new Error(`${cli} not found: build first (node scripts/build.mjs)`);
  const cwd = dirname(opts.manifest);
  const results: CaseResult[] = [];
  const started = Date.now();
  for (const c of cases) {
    process.stderr.write(`corpus: ${c.id} (${c.expect}, up to ${c.max_run_s} s)...\n`);
    const r = await runCase(c, cwd, cli);
    results.push(r);
    process.stderr.write(`corpus: ${c.id} ${r.pass ? 'PASS' : `FAIL: ${r.note}`}\n`);
  }
  const json = { manifest: opts.manifest, started_at: new Date(started).toISOString(), seconds: (Date.now() - started) / 1000, summary: summarise(results), cases: results };
  if (opts.json) writeFileSync(opts.json, JSON.stringify(json, null, 2) + '\n');
  return { json, table: renderResults(results) };
}
