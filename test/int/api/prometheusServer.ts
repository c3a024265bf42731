// Debian's Prometheus as a real process for the tests: its own config,
// storage folder and loopback port, in its own process group (so the whole
// group is stopped at the end), scraping targets with a bearer key it reads
// from a 0600 file (the key never appears on a command line).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../../helpers/processes';

export const PROMETHEUS = '/usr/bin/prometheus';

export interface ScrapeJob {
  name: string;
  /** host:port on loopback. */
  target: string;
  metricsPath: string;
  /** The bearer key, written to a 0600 file the config names; null scrapes without one. */
  key: string | null;
}

export interface PromTarget {
  labels: Record<string, string>;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
}

/** A free loopback port (the kernel's choice; released just before Prometheus binds it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

function getJson(url: string): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, json: JSON.parse(body) });
        } catch {
          resolve({ status: res.statusCode ?? 0, json: null });
        }
      });
      res.on('error', reject);
    }).on('error', reject);
  });
}

function configYaml(jobs: ScrapeJob[], dir: string): string {
  const lines = ['global:', '  scrape_interval: 1s', '  scrape_timeout: 1s', '  evaluation_interval: 1s', 'scrape_configs:'];
  jobs.forEach((job, i) => {
    lines.push(`  - job_name: ${JSON.stringify(job.name)}`, `    metrics_path: ${JSON.stringify(job.metricsPath)}`);
    if (job.key !== null) {
      const file = join(dir, `key-${i}`);
      // With a newline, as `openssl rand -base64 32 > file` writes it (docs/operations.md): Prometheus trims it.
      writeFileSync(file, job.key + '\n', { mode: 0o600 });
      lines.push('    authorization:', '      type: Bearer', `      credentials_file: ${JSON.stringify(file)}`);
    }
    lines.push('    static_configs:', `      - targets: [${JSON.stringify(job.target)}]`);
  });
  return lines.join('\n') + '\n';
}

export class PrometheusServer {
  private stderr = '';

  private constructor(
    readonly child: ChildProcess,
    readonly url: string,
    private readonly dir: string,
  ) {
    child.stderr!.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-8000)));
  }

  static async start(jobs: ScrapeJob[]): Promise<PrometheusServer> {
    const dir = mkdtempSync(join(tmpdir(), 'ff-prometheus-'));
    writeFileSync(join(dir, 'prometheus.yml'), configYaml(jobs, dir), { mode: 0o600 });
    const port = await freePort();
    const args = [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ];
    const child = spawn(PROMETHEUS, args, { cwd: dir, detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    const prom = new PrometheusServer(child, `http://127.0.0.1:${port}`, dir);
    try {
      await waitFor(async () => (await getJson(`${prom.url}/-/ready`).catch(() => ({ status: 0 }))).status === 200, 30_000, 100);
    } catch (err) {
      await prom.stop();
      throw new Error(`Prometheus did not become ready: ${(err as Error).message}\n${prom.stderr}`);
    }
    return prom;
  }

  get log(): string {
    return this.stderr;
  }

  async targets(): Promise<PromTarget[]> {
    const a = (await getJson(`${this.url}/api/v1/targets`)).json as { data: { activeTargets: PromTarget[] } };
    return a.data.activeTargets;
  }

  /** Waits until the job's target has been scraped (health up or down); returns it. */
  async scraped(job: string, timeoutMs = 20_000): Promise<PromTarget> {
    return (await waitFor(async () => (await this.targets()).find((t) => t.labels.job === job && t.health !== 'unknown') ?? null, timeoutMs, 200))!;
  }

  /** An instant query: Prometheus's status and its result vector. */
  async query(promql: string): Promise<{ status: string; error?: string; result: { metric: Record<string, string>; value: [number, string] }[] }> {
    const a = (await getJson(`${this.url}/api/v1/query?query=${encodeURIComponent(promql)}`)).json as {
      status: string;
      error?: string;
      data?: { result: { metric: Record<string, string>; value: [number, string] }[] };
    };
    return { status: a.status, error: a.error, result: a.data?.result ?? [] };
  }

  /** SIGTERM to its whole group, SIGKILL if it lingers, then its folder goes. */
  async stop(): Promise<void> {
    const pid = this.child.pid;
    if (pid !== undefined && this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      signalGroup(pid, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    /* already gone */
  }
}
