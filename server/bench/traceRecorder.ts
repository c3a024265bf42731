// Records a corpus script's behaviour for replay in tests: its output chunks
// with their times, and one resource reading of its whole process tree per
// second (the supervisor's own LinuxProcSource + TreeTracker), so Detector and
// PolicyEngine can be tuned on real data with a fake clock instead of waiting.
//
// Fast printers (R01 prints megabytes a second) are stored sampled: each
// second keeps up to KEEP_BYTES_PER_S of raw chunk text, and for the rest only
// how many lines and bytes were dropped; replay re-creates dropped lines by
// cycling through the kept lines of the same entry. Files are gzipped JSON.
//
//   node -r esbuild-register scripts/record-traces.ts <manifest.json> <out dir> [ID...]
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { ResourceReading } from '../detect/types';
import { chunkLines } from './chunkLines';
import { LinuxProcSource } from '../supervisor/processTable';
import { TreeTracker } from '../supervisor/treeTracker';

const KEEP_BYTES_PER_S = 16 * 1024;

export interface TraceEntry {
  /** ms since the job started */
  t: number;
  s: 'o' | 'e';
  /** Raw text as received (possibly cut at a line boundary when sampled). */
  text: string;
  /** Lines and bytes that arrived in this chunk but were not kept. */
  droppedLines?: number;
  droppedBytes?: number;
}

export interface Trace {
  id: string;
  command: string[];
  durationMs: number;
  sampleIntervalMs: number;
  readings: ResourceReading[];
  output: TraceEntry[];
}

export function readTrace(path: string): Trace {
  return JSON.parse(gunzipSync(readFileSync(path)).toString('utf8')) as Trace;
}

export function writeTrace(path: string, trace: Trace): void {
  writeFileSync(path, gzipSync(JSON.stringify(trace), { level: 9 }));
}

/**
 * Replays a trace's output as the job wrote it: kept text as is, dropped lines
 * re-created by cycling through the stream's most recently kept lines.
 */
export class TraceOutput {
  private lastKept: Record<'o' | 'e', string[]> = { o: [], e: [] };

  chunks(e: TraceEntry): Buffer[] {
    const chunks = e.text ? [Buffer.from(e.text, 'utf8')] : [];
    const kept = e.text
      .split('\n')
      .slice(0, -1)
      .filter((l) => l.trim() !== '');
    if (kept.length) this.lastKept[e.s] = kept;
    const source = this.lastKept[e.s];
    if (!e.droppedLines || source.length === 0) return chunks;
    return [...chunks, ...chunkLines(e.droppedLines, (i) => source[i % source.length]!)];
  }
}

/** Merges entries that only count dropped lines, per stream and 100 ms, so sampled traces stay small. */
export function compactOutput(entries: TraceEntry[]): TraceEntry[] {
  const out: TraceEntry[] = [];
  const open: Partial<Record<'o' | 'e', TraceEntry>> = {};
  for (const e of entries) {
    const prev = open[e.s];
    if (!e.text && prev && !prev.text && Math.floor(prev.t / 100) === Math.floor(e.t / 100)) {
      prev.droppedLines = (prev.droppedLines ?? 0) + (e.droppedLines ?? 0);
      prev.droppedBytes = (prev.droppedBytes ?? 0) + (e.droppedBytes ?? 0);
      continue;
    }
    const copy = { ...e };
    out.push(copy);
    open[e.s] = copy;
  }
  return out;
}

const countLines = (b: Buffer): number => {
  let n = 0;
  for (let p = b.indexOf(10); p !== -1; p = b.indexOf(10, p + 1)) n++;
  return n;
};

export async function recordTrace(id: string, command: string[], cwd: string, durationMs: number): Promise<Trace> {
  const start = Date.now();
  const child = spawn(command[0]!, command.slice(1), {
    cwd,
    env: { ...process.env, PYTHONUNBUFFERED: '1', FORCE_COLOR: '1' },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: TraceEntry[] = [];
  let second = -1;
  let keptThisSecond = 0;
  const onChunk = (s: 'o' | 'e') => (chunk: Buffer) => {
    const t = Date.now() - start;
    const sec = Math.floor(t / 1000);
    if (sec !== second) {
      second = sec;
      keptThisSecond = 0;
    }
    const room = KEEP_BYTES_PER_S - keptThisSecond;
    if (chunk.length <= room) {
      keptThisSecond += chunk.length;
      output.push({ t, s, text: chunk.toString('utf8') });
      return;
    }
    const cut = room > 0 ? chunk.lastIndexOf(10, room - 1) + 1 : 0;
    const rest = chunk.subarray(cut);
    keptThisSecond += cut;
    output.push({ t, s, text: chunk.subarray(0, cut).toString('utf8'), droppedLines: countLines(rest), droppedBytes: rest.length });
  };
  child.stdout!.on('data', onChunk('o'));
  child.stderr!.on('data', onChunk('e'));

  const source = new LinuxProcSource();
  const tracker = new TreeTracker(child.pid!, child.pid!);
  const readings: ResourceReading[] = [];
  let exited = false;
  child.on('exit', () => (exited = true));
  while (Date.now() - start < durationMs && !exited) {
    await new Promise((r) => setTimeout(r, 1000 - ((Date.now() - start) % 1000)));
    const r = tracker.observe(await source.snapshot());
    readings.push({ ...r, t: r.t - start });
  }
  // Stop everything this recording started: the group, then escapees by pid.
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    /* already gone */
  }
  for (const p of tracker.tracked()) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  await new Promise((r) => setTimeout(r, 300));
  return { id, command, durationMs: Date.now() - start, sampleIntervalMs: 1000, readings, output: compactOutput(output) };
}

interface ManifestCase {
  id: string;
  command: string[];
  max_run_s: number;
}

/** Records one trace per distinct command of a corpus manifest (scripts/record-traces.ts). */
export async function recordManifestTraces(argv: string[]): Promise<void> {
  const [manifestPath, outDir, ...only] = argv;
  if (!manifestPath || !outDir) throw new Error('usage: record-traces.ts <manifest.json> <out dir> [ID...]');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { cases: ManifestCase[] };
  const cwd = dirname(resolve(manifestPath));
  mkdirSync(outDir, { recursive: true });
  // One recording per command, as long as the longest case that runs it.
  const longest = new Map<string, number>();
  for (const c of manifest.cases) longest.set(c.command.join(' '), Math.max(longest.get(c.command.join(' ')) ?? 0, c.max_run_s));
  const done = new Set<string>();
  for (const c of manifest.cases) {
    const key = c.command.join(' ');
    if ((only.length && !only.includes(c.id)) || done.has(key)) continue;
    done.add(key);
    const trace = await recordTrace(c.id, c.command, cwd, longest.get(key)! * 1000);
    const file = join(outDir, `${c.id}.json.gz`);
    writeTrace(file, trace);
    const cpu = trace.readings.map((r) => (r.cpuPercent === null ? '-' : `${Math.round(r.cpuPercent)}/${Math.round(r.cpuDemandPercent ?? -1)}`));
    console.log(`${c.id}: ${trace.output.length} entries, ${trace.readings.length} readings; cpu/demand ${cpu.join(' ')}`);
  }
}
