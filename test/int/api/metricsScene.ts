// A real API whose metrics have something to say: a real runaway (a job over
// its memory limit) that FlowForge killed, and a person's "not a runaway"
// verdict on its incident, recorded the way `flowforge allow` records it (an
// audit row through the engine). Shared by the promtool, Prometheus and
// Grafana-dashboard tests, so all three look at the same, non-empty output.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { NOT_A_RUNAWAY_AUDIT_ACTION } from '../../../server/shared/protocol/choices';
import { requireDebianProgram } from '../../helpers/debianProgram';
import { waitFor } from '../../helpers/processes';
import { startTestApi, type TestApi } from './harness';

/** Over its 5 MB memory limit from the first sample: FlowForge kills it within a few ticks. */
export const RUNAWAY = { command: process.execPath, args: ['-e', 'setInterval(() => {}, 1000)'], cwd: tmpdir(), max_memory_mb: 5, on_runaway: 'kill' };

export interface MetricsScene {
  api: TestApi;
  runId: string;
  incidentId: string;
  /** The rule of the incident (its kind). */
  rule: string;
}

export async function startMetricsScene(): Promise<MetricsScene> {
  const api = await startTestApi();
  const started = await api.post('/v1/runs', RUNAWAY);
  assert.equal(started.status, 201, started.text);
  const runId: string = started.json.run.id;
  await api.engine.jobByRun(runId)!.whenEnded();
  const incident = (await waitFor(async () => (await api.get(`/v1/incidents?run_id=${runId}`)).json.items[0], 10_000)) as { id: string; kind: string };
  api.engine.recordAudit({
    actor: 'user',
    action: NOT_A_RUNAWAY_AUDIT_ACTION,
    reason: 'a test: the job was fine',
    request_id: null,
    run_id: runId,
    workspace_id: null,
    details: { incident_id: incident.id },
  });
  return { api, runId, incidentId: incident.id, rule: incident.kind };
}

/**
 * A scene for the tests of the enclosing describe block, started once and
 * closed after them; `needs` names a Debian program they drive (skipped, or
 * failed in CI, when it is missing).
 */
export function useMetricsScene(needs?: { program: string; pkg: string }): { readonly scene: MetricsScene } {
  let current: MetricsScene | null = null;
  before(async function () {
    if (needs) requireDebianProgram(this, needs.program, needs.pkg);
    current = await startMetricsScene();
  });
  after(() => current?.api.close());
  return {
    get scene() {
      return current!;
    },
  };
}

/** The value of one sample line of Prometheus text (`name{labels}` exactly as printed), or null. */
export function sampleValue(text: string, series: string): number | null {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line ? Number(line.slice(series.length + 1)) : null;
}

/** Metric families the exposition declares (`# TYPE name type`). */
export function declaredMetrics(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) out.set(m[1]!, m[2]!);
  return out;
}

export interface ToolRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program with `input` on its stdin (no shell), collecting what it prints. */
export function runTool(file: string, args: string[], input: string): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}
