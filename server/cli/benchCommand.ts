// `flowforge bench <name> [--json FILE] [...]`: runs one benchmark, prints a
// readable table and writes the JSON results (to --json FILE, or .bench/).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from '../util/args';

type Bench = (argv: string[]) => Promise<{ json: unknown; table: string }>;

const benches: Record<string, { what: string; load: () => Promise<Bench> }> = {
  corpus: { what: 'runaway/healthy corpus, case by case', load: async () => (await import('../bench/corpusBench')).runCorpusBench },
  overhead: { what: 'cost of supervision: wall and CPU ratios, start-up, supervisor peak RSS (jobs write into a pipe we drain)', load: async () => (await import('../bench/overheadBench')).runOverheadBench },
  detector: { what: 'lines per second through normalisation and signals, one core', load: async () => (await import('../bench/detectorBench')).runDetectorBench },
  store: { what: 'evidence store: save time and size (10k/100k/500k events, a simulated month)', load: async () => (await import('../bench/storeBench')).runStoreBench },
  redact: { what: 'redaction: 64 KB pathological lines and ordinary-line MB/s, now vs before', load: async () => (await import('../bench/redactBench')).runRedactBench },
  hooks: { what: 'flowforge hook latency per entry point, alone and inside a supervised job', load: async () => (await import('../bench/hookBench')).runHookBench },
  agents: { what: 'agent simulator: loops ended by a nudge, a block or a stop; seconds saved', load: async () => (await import('../bench/agentBench')).runAgentBench },
  otel: { what: 'OpenTelemetry export: start-up and peak RSS off vs on, bytes sent for a runaway per protocol', load: async () => (await import('../bench/otelBench')).runOtelBench },
  receiver: { what: 'agent telemetry receiver: supervisor CPU per export (protobuf, JSON, refused), % of a core per agent', load: async () => (await import('../bench/receiverBench')).runReceiverBench },
  api: { what: 'API: paginated reads under 50 clients with 100k events, SSE fan-out to 100', load: async () => (await import('../bench/apiBench')).runApiBench },
};

function takeJsonFlag(argv: string[]): { json: string | null; rest: string[] } {
  const rest: string[] = [];
  let json: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') json = argv[++i] ?? null;
    else if (a.startsWith('--json=')) json = a.slice(7);
    else rest.push(a);
  }
  return { json, rest };
}

export async function benchCommand(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const bench = name ? benches[name] : undefined;
  if (!bench) {
    const list = Object.entries(benches).map(([n, b]) => `  ${n.padEnd(9)} ${b.what}`).join('\n');
    if (!name || name === '--help') {
      process.stdout.write(`Usage: flowforge bench <name> [--json FILE]\n${list}\n`);
      return name ? 0 : 2;
    }
    throw new UsageError(`unknown benchmark '${name}'. Choose one of:\n${list}`);
  }
  const { json, rest: args } = takeJsonFlag(rest);
  const run = await bench.load();
  const result = await run(args);
  process.stdout.write(result.table + '\n');
  const out = resolve(json ?? join('.bench', `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`));
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(result.json, null, 2) + '\n');
  process.stdout.write(`results: ${out}\n`);
  return 0;
}
