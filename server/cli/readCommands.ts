// `flowforge incidents` and `flowforge timeline`: read the last saved store
// (without taking the writer's lock, so they work while a job runs) and print.
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { defaultStorePath, formatIncidents, formatTimeline, openStoreReadOnly } from '../store';
import { numberFlag, oneOf, parse, selfCommand, str, UsageError } from '../util/args';

const COMMON = {
  db: { type: 'string' },
  json: { type: 'boolean' },
  limit: { type: 'string' },
  cursor: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Stores written by runs that found the default store busy (see session.ts). */
function sideStores(mainPath: string): string[] {
  const dir = join(dirname(mainPath), 'runs');
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.db')).map((f) => join(dir, f)) : [];
}

export async function withStore<T>(dbFlag: string | undefined, fn: (store: Awaited<ReturnType<typeof openStoreReadOnly>>['store'], path: string) => T): Promise<T> {
  const path = dbFlag ?? defaultStorePath();
  const { store, warnings } = await openStoreReadOnly(path);
  for (const w of warnings) process.stderr.write(`flowforge: ${w}\n`);
  try {
    return fn(store, path);
  } finally {
    await store.close();
    if (!dbFlag) {
      const side = sideStores(path);
      if (side.length) process.stderr.write(`flowforge: ${side.length} more store(s) from runs that found this one busy; read them with --db (in ${dirname(side[0]!)})\n`);
    }
  }
}

export async function incidentsCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { ...COMMON, status: { type: 'string' }, kind: { type: 'string' }, workspace: { type: 'string' } });
  if (values.help) {
    process.stdout.write('Usage: flowforge incidents [--db PATH] [--json] [--limit N] [--cursor C] [--status open|closed] [--kind KIND]\n');
    return 0;
  }
  const limit = numberFlag(values, 'limit', { min: 1, max: 500, integer: true }) ?? 50;
  const status = oneOf(values, 'status', ['open', 'closed'] as const);
  const text = await withStore(str(values, 'db'), (store, path) =>
    formatIncidents(
      store.listIncidents({ limit, cursor: str(values, 'cursor') ?? null, status, kind: str(values, 'kind'), workspace_id: str(values, 'workspace') }),
      { json: values.json === true, path },
    ),
  );
  process.stdout.write(text + '\n');
  return 0;
}

export async function timelineCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { ...COMMON, incident: { type: 'string' }, run: { type: 'string' } });
  if (values.help) {
    process.stdout.write('Usage: flowforge timeline [--incident ID] [--run ID] [--db PATH] [--json] [--limit N] [--cursor C]\n');
    return 0;
  }
  const limit = numberFlag(values, 'limit', { min: 1, max: 500, integer: true }) ?? 50;
  const incidentId = str(values, 'incident');
  const text = await withStore(str(values, 'db'), (store, path) => {
    if (incidentId) {
      const incident = store.getIncident(incidentId);
      if (!incident) throw new UsageError(`no incident '${incidentId}' in ${path} (list them with: ${selfCommand()} incidents --db ${path})`);
      return formatTimeline(store.incidentChain(incidentId), { json: values.json === true, path, incident });
    }
    return formatTimeline(store.timeline({ limit, cursor: str(values, 'cursor') ?? null, run_id: str(values, 'run') }), {
      json: values.json === true,
      path,
    });
  });
  process.stdout.write(text + '\n');
  return 0;
}
