// Detector micro-benchmark: lines per second through splitting, normalisation
// and signal bookkeeping on one core. Every line is normalised (no sampling
// shortcut); chunks are 64 KB like a pipe read. Several line shapes: the R01
// tight loop, a 3-line agent cycle, a log with timestamps and UUIDs, unique
// test names (novelty), and ANSI-coloured lines.
import { Detector } from '../detect/detector';
import { chunkLines } from './chunkLines';
import { profileThresholds } from '../policy/profiles';
import { renderTable } from '../util/table';

export interface BenchCase {
  name: string;
  line: (i: number) => string;
}

const hex = (i: number, n: number) => ((i * 2654435761) >>> 0).toString(16).padStart(8, '0').repeat(2).slice(0, n);

export const BENCH_CASES: BenchCase[] = [
  { name: 'tight loop (R01)', line: (i) => `[${i}] Processing item ${i % 7} at 0x${hex(i, 10)} with value 0.${(i * 7919) % 100000}` },
  {
    name: '3-line agent cycle',
    line: (i) =>
      [`Applying fix to src/parser.ts (attempt ${i})`, 'Running: npm test -- parser.spec.ts', 'FAIL parser.spec.ts: expected 3 tokens, received 2'][i % 3]!,
  },
  {
    name: 'timestamped log',
    line: (i) =>
      `2026-02-18T10:${String(i % 60).padStart(2, '0')}:07.123Z INFO req ${hex(i, 8)}-1b2c-4d5e-8f90-${hex(i + 1, 12)} GET /api/items/${i % 1000} 200 in ${i % 90}ms`,
  },
  { name: 'unique test names', line: (i) => `tests/unit/test_${hex(i, 6)}.py::test_handles_${hex(i * 3, 6)} PASSED` },
  {
    // A long cycle (a test run re-run after each "fix"): 300 distinct templates, then again.
    name: '300-line cycle',
    line: (i) => `  ${i % 300 < 250 ? 'ok' : 'not ok'} ${i % 300} - suite_${String.fromCharCode(97 + (i % 300) % 26)}${Math.floor((i % 300) / 26)} case (${i % 97}ms)`,
  },
  { name: 'ANSI coloured', line: (i) => `\x1b[32m✓\x1b[0m compiled \x1b[1mchunk ${i % 40}\x1b[0m in ${i % 300} ms` },
];

export interface BenchResult {
  name: string;
  lines: number;
  mb: number;
  seconds: number;
  linesPerSecond: number;
}

/** Feeds `lines` lines of one shape through a fresh detector, with a snapshot every 100k lines (a tick). */
export function benchCase(c: BenchCase, lines = 2_000_000): BenchResult {
  const chunks = chunkLines(lines, c.line);
  const bytes = chunks.reduce((n, b) => n + b.length, 0);
  const run = () => {
    const d = new Detector(profileThresholds('standard'), 0);
    let t = 0;
    let sinceTick = 0;
    const start = process.hrtime.bigint();
    for (const chunk of chunks) {
      d.observeOutput('stdout', chunk, t);
      sinceTick += 1500;
      if (sinceTick >= 100_000) {
        t += 1000;
        d.snapshot(t);
        sinceTick = 0;
      }
    }
    return Number(process.hrtime.bigint() - start) / 1e9;
  };
  run(); // warm-up (JIT)
  const seconds = Math.min(run(), run());
  return { name: c.name, lines, mb: bytes / 1e6, seconds, linesPerSecond: lines / seconds };
}

/** `flowforge bench detector [--lines N]`: every shape, reported as a table and JSON. */
export async function runDetectorBench(args: string[]): Promise<{ json: unknown; table: string }> {
  const i = args.indexOf('--lines');
  const lines = i >= 0 ? Number(args[i + 1]) : 2_000_000;
  if (!Number.isInteger(lines) || lines < 10_000) throw new Error('--lines must be a whole number of at least 10000');
  const results = BENCH_CASES.map((c) => benchCase(c, lines));
  const slowest = Math.min(...results.map((r) => r.linesPerSecond));
  const table = [
    renderTable(results, [
      { title: 'line shape', value: (r) => r.name },
      { title: 'M lines/s', value: (r) => (r.linesPerSecond / 1e6).toFixed(2), align: 'right' },
      { title: 'MB/s', value: (r) => Math.round(r.mb / r.seconds), align: 'right' },
    ]),
    '',
    `slowest shape: ${(slowest / 1e6).toFixed(2)} M lines/s on one core (goal: at least 1.00) -> ${slowest >= 1e6 ? 'PASS' : 'FAIL'}`,
  ].join('\n');
  return { json: { lines, results, slowest_lines_per_second: slowest, goal: 1_000_000 }, table };
}
