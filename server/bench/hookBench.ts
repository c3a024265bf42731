// `flowforge bench hooks`: how long an agent waits for `flowforge hook` on
// each tool call, median and p90, for each entry point side by side:
//   dist/flowforge-hook  the shell fast path (what `flowforge agent setup` writes)
//   dist/hook.js         the Node client alone
//   dist/cli.js hook     through the full CLI
// measured two ways: with no FlowForge around (the hook answers "allow" by
// itself) and from inside a real supervised job whose hooks reach a live
// engine through the agent channel. The floor (`true`, an empty `node`) is
// measured beside them, so the hook's own cost can be read off.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Engine } from '../engine/engine';
import { openStore } from '../store';
import { renderTable } from '../util/table';
import { plainJobSpec } from './benchJob';
import { percentiles } from './stats';

interface Entry {
  name: string;
  argv: string[];
}

function entries(dist: string): Entry[] {
  return [
    { name: 'floor: /bin/true', argv: ['true'] },
    { name: 'floor: node -e ""', argv: [process.execPath, '-e', ''] },
    { name: 'dist/flowforge-hook (sh)', argv: [join(dist, 'flowforge-hook'), 'claude'] },
    { name: 'dist/hook.js (node)', argv: [process.execPath, join(dist, 'hook.js'), 'claude'] },
    { name: 'dist/cli.js hook (node)', argv: [process.execPath, join(dist, 'cli.js'), 'hook', 'claude'] },
  ];
}

/**
 * Times each entry point `rounds` times, interleaved round by round so that
 * machine load falls on all of them alike. Runs as its own process (inside
 * the supervised job), given as source so that no file has to be found.
 */
const TIMER_SOURCE = `
const { spawnSync } = require('node:child_process');
const [entries, rounds] = JSON.parse(process.argv[1]);
const times = entries.map(() => []);
for (let r = 0; r < rounds; r++) {
  entries.forEach((e, i) => {
    const input = JSON.stringify({ session_id: 'bench', transcript_path: '/tmp/t.jsonl', cwd: process.cwd(), permission_mode: 'default',
      hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command: 'cat src/file' + r + '_' + i + '.ts' }, tool_use_id: 'toolu_' + r });
    const t = process.hrtime.bigint();
    const res = spawnSync(e.argv[0], e.argv.slice(1), { input, encoding: 'utf8' });
    times[i].push(Number(process.hrtime.bigint() - t) / 1e6);
    if (res.status !== 0) throw new Error(e.name + ' exited ' + res.status + ': ' + res.stderr);
  });
}
process.stdout.write(JSON.stringify(times));
`;

export async function runHookBench(argv: string[]): Promise<{ json: unknown; table: string }> {
  const rounds = Number(argv.find((a) => a.startsWith('--rounds='))?.slice(9) ?? 40);
  const dist = resolve(__dirname, existsSync(join(__dirname, 'flowforge-hook')) ? '.' : '../../dist');
  if (!existsSync(join(dist, 'flowforge-hook'))) throw new Error(`build first (node scripts/build.mjs): ${dist}/flowforge-hook is missing`);
  const list = entries(dist);
  const arg = JSON.stringify([list, rounds]);

  // 1. No FlowForge around: no capability in the environment.
  const { FLOWFORGE_AGENT_CHANNEL: _none, ...bare } = process.env;
  const alone = spawnSync(process.execPath, ['-e', TIMER_SOURCE, arg], { env: bare, encoding: 'utf8', maxBuffer: 1 << 24 });
  if (alone.status !== 0) throw new Error(`timer failed: ${alone.stderr}`);
  const without = JSON.parse(alone.stdout) as number[][];

  // 2. Inside a supervised job: the same timer, its hooks answered by this engine.
  const { store } = await openStore({ path: null });
  const engine = new Engine({ store, sampleIntervalMs: 1000 });
  let out = '';
  let err = '';
  try {
    const job = engine.startJob(plainJobSpec('hook-bench', process.execPath, ['-e', TIMER_SOURCE, arg], { feedbackFile: null }));
    engine.events.on('output', (o) => {
      if (o.job_id !== job.jobId) return;
      if (o.stream === 'stdout') out += o.chunk.toString();
      else err += o.chunk.toString();
    });
    const outcome = await job.whenEnded();
    if (outcome.exit_code !== 0) throw new Error(`timer in the job failed: ${err}`);
  } finally {
    await engine.shutdown('bench over');
    await store.close();
  }
  const within = JSON.parse(out) as number[][];

  const rows = list.map((e, i) => {
    const a = percentiles(without[i]!);
    const b = percentiles(within[i]!);
    return { entry: e.name, aloneP50: a.p50, aloneP90: a.p90, withP50: b.p50, withP90: b.p90 };
  });
  const ms = (v: number) => v.toFixed(1);
  const table = renderTable(rows, [
    { title: 'entry point', value: (r) => r.entry },
    { title: 'no FlowForge p50 ms', value: (r) => ms(r.aloneP50), align: 'right' },
    { title: 'p90 ms', value: (r) => ms(r.aloneP90), align: 'right' },
    { title: 'in a supervised job p50 ms', value: (r) => ms(r.withP50), align: 'right' },
    { title: 'p90 ms', value: (r) => ms(r.withP90), align: 'right' },
  ]);
  const goal = 'goal: p50 <= 30 ms with no FlowForge around, <= 50 ms with a backend';
  return { json: { rounds, goal, rows, raw: { without, within } }, table: `${table}\n${goal}; ${rounds} rounds, interleaved` };
}
