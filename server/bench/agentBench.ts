// `flowforge bench agents`: the ladder against a scripted agent. Each run is
// a real supervised job (test/fixtures/agents/simAgent.js) that speaks one
// agent's documented hook protocol by calling the real hook command, falls
// into a loop (the same failing test run), and "listens" to a nudge with
// probability p (to a refusal with probability min(1, 2p): a refused call is
// harder to ignore). Beside each agent and seed, the same scenario with an
// agent that never listens: its loop ends only when FlowForge stops it, which
// is what stopping alone would give. Reported: how many loops a nudge alone
// ended, how many needed a block, how many a stop, the loop time saved
// against stopping only (measured), and the loop calls saved.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Engine } from '../engine/engine';
import { openStore } from '../store';
import { renderTable } from '../util/table';
import { plainJobSpec } from './benchJob';

interface SimResult {
  agent: string;
  p: number;
  seed: number;
  endedBy: 'nudge' | 'block' | 'stop' | 'none';
  loopSeconds: number;
  loopCalls: number;
  killed: boolean;
}

const AGENTS = ['claude', 'gemini', 'codex'] as const;

function locate(): { sim: string; hook: string } {
  for (const base of [resolve(__dirname, '..'), resolve(__dirname, '../..')]) {
    const sim = join(base, 'test/fixtures/agents/simAgent.js');
    const hook = join(base, 'dist/flowforge-hook');
    if (existsSync(sim) && existsSync(hook)) return { sim, hook };
  }
  throw new Error('needs the repository checkout (test/fixtures/agents/simAgent.js) and a build (dist/flowforge-hook)');
}

async function simulate(engine: Engine, where: { sim: string; hook: string }, agent: string, p: number, seed: number, callMs: number): Promise<SimResult> {
  let out = '';
  // Each probability draws its own numbers (the seed mixes in p); the baseline (p = 0) never draws.
  const args = [where.sim, `--agent=${agent}`, '--mode=loop', `--listen=${p}`, `--listen-block=${Math.min(1, 2 * p)}`, `--seed=${seed}-${p}`, `--call-ms=${callMs}`, '--work=6', '--halt-wait-ms=3000'];
  const job = engine.startJob(plainJobSpec(`sim-${agent}-${p}-${seed}`, process.execPath, args, { env: { FLOWFORGE_HOOK: where.hook }, feedbackFile: null }));
  engine.events.on('output', (o) => {
    if (o.job_id === job.jobId && o.stream === 'stdout') out += o.chunk.toString();
  });
  const outcome = await job.whenEnded();
  const events = out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { ev: string; t: number; by?: string });
  const start = events.find((e) => e.ev === 'loop_start')?.t ?? 0;
  const end = events.find((e) => e.ev === 'loop_end' || e.ev === 'halted');
  const endedBy = end?.ev === 'halted' ? 'stop' : ((end?.by as SimResult['endedBy']) ?? 'none');
  const loopCalls = events.filter((e) => e.ev === 'loop_call').length;
  return { agent, p, seed, endedBy, loopSeconds: end ? (end.t - start) / 1000 : NaN, loopCalls, killed: outcome.outcome === 'killed' };
}

/** Runs at most `width` at a time. */
async function inBatches<T>(tasks: (() => Promise<T>)[], width: number): Promise<T[]> {
  const results: T[] = [];
  for (let i = 0; i < tasks.length; i += width) results.push(...(await Promise.all(tasks.slice(i, i + width).map((t) => t()))));
  return results;
}

export async function runAgentBench(argv: string[]): Promise<{ json: unknown; table: string }> {
  const flag = (name: string, dflt: number) => Number(argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt);
  const seeds = flag('seeds', 6);
  const callMs = flag('call-ms', 100);
  const turnS = flag('turn-s', 20);
  const ps = [0.25, 0.5, 0.75];
  const where = locate();
  const { store } = await openStore({ path: null });
  const engine = new Engine({ store, sampleIntervalMs: 500 });
  let ladder: SimResult[];
  let baseline: SimResult[];
  try {
    const seedList = Array.from({ length: seeds }, (_, i) => i + 1);
    baseline = await inBatches(AGENTS.flatMap((a) => seedList.map((s) => () => simulate(engine, where, a, 0, s, callMs))), 3);
    ladder = await inBatches(ps.flatMap((p) => AGENTS.flatMap((a) => seedList.map((s) => () => simulate(engine, where, a, p, s, callMs)))), 3);
  } finally {
    await engine.shutdown('bench over');
    await store.close();
  }
  const base = (r: SimResult) => baseline.find((b) => b.agent === r.agent && b.seed === r.seed)!;
  const rows = ps.map((p) => {
    const rs = ladder.filter((r) => r.p === p);
    const count = (by: string) => rs.filter((r) => r.endedBy === by).length;
    const saved = rs.reduce((s, r) => s + Math.max(0, base(r).loopSeconds - r.loopSeconds), 0);
    const callsSaved = rs.reduce((s, r) => s + Math.max(0, base(r).loopCalls - r.loopCalls), 0);
    return { p, runs: rs.length, nudge: count('nudge'), block: count('block'), stop: count('stop'), kept: rs.filter((r) => !r.killed).length, saved, callsSaved };
  });
  const stopOnly = { runs: baseline.length, stop: baseline.filter((r) => r.endedBy === 'stop').length, loopSeconds: baseline.reduce((s, r) => s + r.loopSeconds, 0) };
  const table = renderTable(rows, [
    { title: 'listens to a nudge (p)', value: (r) => r.p.toFixed(2), align: 'right' },
    { title: 'loops', value: (r) => r.runs, align: 'right' },
    { title: 'ended by nudge', value: (r) => r.nudge, align: 'right' },
    { title: 'by block', value: (r) => r.block, align: 'right' },
    { title: 'by stop', value: (r) => r.stop, align: 'right' },
    { title: 'job kept', value: (r) => r.kept, align: 'right' },
    { title: 'loop s saved', value: (r) => r.saved.toFixed(1), align: 'right' },
    { title: 'loop calls saved', value: (r) => r.callsSaved, align: 'right' },
    { title: `≈ s at ${turnS} s/turn`, value: (r) => r.callsSaved * turnS, align: 'right' },
  ]);
  const note = `stop only (agents that never listen): ${stopOnly.stop}/${stopOnly.runs} loops ended by a stop, ${stopOnly.loopSeconds.toFixed(1)} s of looping; ${callMs} ms per simulated tool call; the last column projects the calls saved at ${turnS} s per agent turn`;
  return { json: { callMs, seeds, turnS, rows, stopOnly, runs: { ladder, baseline } }, table: `${table}\n${note}` };
}
