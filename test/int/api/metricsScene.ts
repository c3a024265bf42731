// A real API whose metrics have something to say: a real runaway (a retry
// loop burning CPU) that FlowForge stopped, and a person's "not a runaway"
// verdict on its incident through the real route (POST
// /v1/incidents/{id}/allow, what the panel's button and `flowforge allow`
// do). Shared by the promtool, Prometheus and Grafana-dashboard tests, so all
// three look at the same, non-empty output.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireDebianProgram } from '../../helpers/debianProgram';
import { waitFor } from '../../helpers/processes';
import { startTestApi, type TestApi } from './harness';

/** Retries a failing call in a busy loop (2 ms of CPU each) for up to a minute: FlowForge stops it within seconds. */
const RETRY_LOOP = `const end = Date.now() + 60000;
for (let i = 0; Date.now() < end; i++) { const t = Date.now(); while (Date.now() - t < 2) {} console.log('try ' + i + ': connection refused, retrying'); }`;

export interface MetricsScene {
  api: TestApi;
  runId: string;
  incidentId: string;
  /** The rule of the incident (its kind). */
  rule: string;
  close(): Promise<void>;
}

export async function startMetricsScene(): Promise<MetricsScene> {
  const api = await startTestApi();
  // Its own folder: what FlowForge learns from the loop (and the allow) is scoped to it.
  const dir = mkdtempSync(join(tmpdir(), 'ff-metrics-scene-'));
  const close = async () => {
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const started = await api.post('/v1/runs', { command: process.execPath, args: ['-e', RETRY_LOOP], cwd: dir, on_runaway: 'kill' });
    assert.equal(started.status, 201, started.text);
    const runId: string = started.json.run.id;
    await api.engine.jobByRun(runId)!.whenEnded();
    const incident = (await api.get(`/v1/incidents?run_id=${runId}`)).json.items[0] as { id: string; kind: string; action: string } | undefined;
    assert.equal(incident?.action, 'kill', 'FlowForge did not stop the loop');
    const allowed = await api.post(`/v1/incidents/${incident.id}/allow`, { reason: 'a test: it retries on purpose' });
    assert.equal(allowed.status, 200, allowed.text);
    return { api, runId, incidentId: incident.id, rule: incident.kind, close };
  } catch (err) {
    await close();
    throw err;
  }
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
  after(() => current?.close());
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
