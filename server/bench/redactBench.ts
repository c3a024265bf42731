// Redaction benchmark: the worst case (64 KB lines built to make pattern
// matching backtrack) and the common case (ordinary log lines, MB/s), for
// the current redaction and, side by side in the same run, the one before it
// was made linear. The old code is read from git at BASELINE_COMMIT and
// compiled on the fly, so the repo keeps one redaction, not two.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { redact, redactUncapped } from '../shared/redact';
import { renderTable } from '../util/table';
import { BENCH_CASES } from './detectorBench';

type Redact = (text: string) => string;

/** The last commit whose redaction backtracked (server/shared/redact.ts before the linear rules). */
export const BASELINE_COMMIT = 'e2d45b57b5772b3a60d74cbfb0d1ed4229b422e6';
const LINE_BYTES = 64 * 1024;
/** The goal for one pathological 64 KB line. */
const GOAL_MS = 5;
/** Stop growing a pathological line for the old code once one run takes this long. */
const OLD_LIMIT_MS = 1500;

/** Shapes that made the old rules backtrack, or that stress each new rule's reader. */
const PATHOLOGICAL: string[] = [
  'a_', 'a.', 'a=', 'a:', 'a-', 'A_', '/a', '@', '=', 'aB3', '-p', '--token ', 'key=', 'token="', 'pwd={', 'key=[',
  'password=x token abc123 ', 'token ', 'pass ', 'bearer ', 'authorization:', 'cookie:', 'eyJ-', 'sk-', 'abc8Q~', 'a://b:',
  'h:1:d:u:', '1234567890:', 'Zm9vYmFy+/', '0123456789abcdef', "' ", '"', 'a b ',
];
const PREFIXED: [string, string][] = [
  ['http://', 'a'],
  ['-----BEGIN PRIVATE KEY-----', 'a'],
  ['mysql ', 'a '],
  ['curl ', '-u '],
  ['sshpass ', '-x '],
  ['htpasswd ', '-b '],
  ['password', ' '],
];

/** A flat string, as a line decoded from a pipe is (a rope of repeats would measure V8's flattening too). */
const fill = (unit: string, bytes: number, prefix = '') =>
  Buffer.from(prefix + unit.repeat(Math.ceil(bytes / unit.length)).slice(0, bytes - prefix.length)).toString();

/** Compiles the baseline redaction from git; null (with why) when git or esbuild is not at hand. */
function loadBaseline(): { redact: Redact | null; note: string } {
  try {
    const src = execFileSync('git', ['show', `${BASELINE_COMMIT}:server/shared/redact.ts`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const req = createRequire(join(process.cwd(), 'package.json'));
    const { transformSync } = req('esbuild') as typeof import('esbuild');
    const module = { exports: {} as { redact?: Redact } };
    new Function('module', 'exports', transformSync(src, { loader: 'ts', format: 'cjs' }).code)(module, module.exports);
    return { redact: module.exports.redact ?? null, note: `baseline: server/shared/redact.ts at ${BASELINE_COMMIT.slice(0, 10)}` };
  } catch (err) {
    return { redact: null, note: `baseline not measured (run from a git checkout with node_modules): ${(err as Error).message.split('\n')[0]}` };
  }
}

/**
 * Wall time of one call in ms: the best of `runs` calls after a warm-up. The
 * best, not the median: on a shared machine the others measure the
 * scheduler; a cost that is really there shows in every run.
 */
function timeMs(f: () => void, runs: number): number {
  f();
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    f();
    best = Math.min(best, Number(process.hrtime.bigint() - t) / 1e6);
  }
  return best;
}

interface WorstCase {
  shape: string;
  ms: number;
  uncapped_ms: number;
  old_ms: number | null;
}

function worstCases(old: Redact | null, runs: number): WorstCase[] {
  const lines: [string, string][] = [
    ...PATHOLOGICAL.map((u): [string, string] => [JSON.stringify(u), fill(u, LINE_BYTES)]),
    ...PREFIXED.map(([p, u]): [string, string] => [JSON.stringify(p + u + '…'), fill(u, LINE_BYTES, p)]),
  ];
  return lines.map(([shape, line]) => {
    // The old code is run once per shape at 64 KB only if 16 KB stayed under the limit (it was quadratic).
    let oldMs: number | null = null;
    if (old) {
      const probe = timeMs(() => old(line.slice(0, LINE_BYTES / 4)), 1);
      oldMs = probe < OLD_LIMIT_MS / 16 ? timeMs(() => old(line), probe < 5 ? runs : 1) : null;
    }
    return { shape, ms: timeMs(() => redact(line), runs), uncapped_ms: timeMs(() => redactUncapped(line), runs), old_ms: oldMs };
  });
}

interface Scaling {
  bytes: number;
  ms: number;
  uncapped_ms: number;
  old_ms: number | null;
}

/** `a_a_a_…` at growing sizes: the shape from the issue (8K repeats took 72 ms and grew with the square). */
function scaling(old: Redact | null, runs: number): Scaling[] {
  const out: Scaling[] = [];
  let oldStopped = !old;
  for (const bytes of [4096, 8192, 16384, 32768, 65536]) {
    const line = fill('a_', bytes);
    const oldMs = oldStopped ? null : timeMs(() => old!(line), 1);
    if (oldMs !== null && oldMs > OLD_LIMIT_MS / 4) oldStopped = true;
    out.push({ bytes, ms: timeMs(() => redact(line), runs), uncapped_ms: timeMs(() => redactUncapped(line), runs), old_ms: oldMs });
  }
  return out;
}

/** Ordinary job output: the detector bench's shapes plus a few common log formats. */
const ORDINARY: { name: string; line: (i: number) => string }[] = [
  ...BENCH_CASES,
  { name: 'JSON log', line: (i) => `{"level":"info","ts":"2026-02-18T10:00:${String(i % 60).padStart(2, '0')}Z","msg":"request done","path":"/api/items/${i % 500}","status":200,"ms":${i % 90}}` },
  { name: 'access log', line: (i) => `10.0.${i % 250}.7 - - [18/Feb/2026:10:00:07 +0000] "GET /static/app.${i % 9}.js HTTP/1.1" 200 ${1000 + (i % 5000)} "-" "Mozilla/5.0"` },
  { name: 'stack trace', line: (i) => `    at Object.handler (/srv/app/src/routes/item${i % 40}.ts:${i % 300}:17)` },
  { name: 'env / config dump', line: (i) => `CONFIG_${i % 50}_PATH=/etc/app/conf.d/${i % 50}.yaml timeout=${i % 30}s retries=${i % 5}` },
];

interface Throughput {
  shape: string;
  mb: number;
  mb_per_s: number;
  old_mb_per_s: number | null;
  ratio: number | null;
}

/** MB/s redacting line by line (as the store and the API do), old and new alternating in one run. */
function throughput(old: Redact | null, lines: number, rounds: number): Throughput[] {
  return ORDINARY.map((c) => {
    const text = Array.from({ length: lines }, (_, i) => c.line(i));
    const mb = text.reduce((n, l) => n + Buffer.byteLength(l), 0) / 1e6;
    const pass = (f: Redact) => () => {
      for (const l of text) f(l);
    };
    const fresh: number[] = [];
    const before: number[] = [];
    for (let r = 0; r < rounds; r++) {
      fresh.push(timeMs(pass(redact), 1));
      if (old) before.push(timeMs(pass(old), 1));
    }
    const mbs = mb / (Math.min(...fresh) / 1000);
    const oldMbs = old ? mb / (Math.min(...before) / 1000) : null;
    return { shape: c.name, mb, mb_per_s: mbs, old_mb_per_s: oldMbs, ratio: oldMbs ? mbs / oldMbs : null };
  });
}

const fmt = (ms: number | null, digits = 2) => (ms === null ? 'skipped' : ms.toFixed(digits));

/** `flowforge bench redact [--lines N] [--runs N]`. */
export async function runRedactBench(args: string[]): Promise<{ json: unknown; table: string }> {
  const num = (flag: string, dflt: number) => {
    const i = args.indexOf(flag);
    const n = i >= 0 ? Number(args[i + 1]) : dflt;
    if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a whole number of at least 1`);
    return n;
  };
  const lines = num('--lines', 20_000);
  const runs = num('--runs', 7);
  const baseline = loadBaseline();
  const worst = worstCases(baseline.redact, runs);
  const grow = scaling(baseline.redact, runs);
  const tput = throughput(baseline.redact, lines, 5);
  const worstMs = Math.max(...worst.map((w) => w.ms));
  const worstUncapped = Math.max(...worst.map((w) => w.uncapped_ms));
  const table = [
    `Pathological 64 KB lines (best of ${runs}, ms; "uncapped": the rules alone, without the per-line cap):`,
    renderTable(worst, [
      { title: 'shape', value: (r) => r.shape },
      { title: 'redact', value: (r) => fmt(r.ms), align: 'right' },
      { title: 'uncapped', value: (r) => fmt(r.uncapped_ms), align: 'right' },
      { title: 'before', value: (r) => fmt(r.old_ms, 1), align: 'right' },
    ]),
    '',
    '"a_" repeated, by size (ms):',
    renderTable(grow, [
      { title: 'bytes', value: (r) => String(r.bytes), align: 'right' },
      { title: 'redact', value: (r) => fmt(r.ms), align: 'right' },
      { title: 'uncapped', value: (r) => fmt(r.uncapped_ms), align: 'right' },
      { title: 'before', value: (r) => fmt(r.old_ms, 1), align: 'right' },
    ]),
    '',
    `Ordinary lines, ${lines} per shape, line by line (MB/s, best of 5 alternating rounds):`,
    renderTable(tput, [
      { title: 'shape', value: (r) => r.shape },
      { title: 'MB/s', value: (r) => r.mb_per_s.toFixed(1), align: 'right' },
      { title: 'before', value: (r) => (r.old_mb_per_s === null ? '-' : r.old_mb_per_s.toFixed(1)), align: 'right' },
      { title: 'now/before', value: (r) => (r.ratio === null ? '-' : `${r.ratio.toFixed(2)}x`), align: 'right' },
    ]),
    '',
    baseline.note,
    `worst 64 KB line: ${worstMs.toFixed(2)} ms (goal: at most ${GOAL_MS}) -> ${worstMs <= GOAL_MS ? 'PASS' : 'FAIL'}; rules alone, uncapped: ${worstUncapped.toFixed(2)} ms`,
  ].join('\n');
  return {
    json: { baseline: baseline.note, line_bytes: LINE_BYTES, runs, worst_cases: worst, scaling: grow, throughput: tput, worst_ms: worstMs, worst_uncapped_ms: worstUncapped, goal_ms: GOAL_MS },
    table,
  };
}
