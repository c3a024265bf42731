// Acting on runs through the supervisor: start, watch, stop, restart, signal,
// input, terminal lines. Every action names its actor (`api:<key name>`) and
// request id, so the audit rows and lifecycle events say who did what.
import { readFileSync, readlinkSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { Engine } from '../engine/engine';
import type { JobController, JobSpec } from '../engine/job';
import type { EffectiveSettings } from '../policy';
import type { PolicyOverrides } from '../policy/types';
import type {
  InputBody,
  LinesBody,
  ProcessActionResult,
  StartRunBody,
  WatchBody,
} from '../shared/protocol/api';
import type { Run, Workspace } from '../shared/protocol/domain';
import type { EvidenceStore } from '../store/types';
import { InputBacklogError } from '../supervisor/supervisedProcess';
import type { Logger } from '../util/logger';
import type { Principal } from './keys';
import type { ApiMetrics } from './metrics';
import type { OutputHub } from './outputHub';
import { ApiProblem, badRequest, conflict, forbidden, invalidField, notFound, tooManyRequests } from './problems';

export type SettingsResolver = (overrides: PolicyOverrides) => EffectiveSettings;

export interface RunControlDeps {
  engine: Engine;
  store: EvidenceStore;
  logger: Logger;
  metrics: ApiMetrics;
  outputs: OutputHub;
  resolveSettings: SettingsResolver;
}

/** Who acts and under which request: passed to every engine call. */
export interface Actor {
  principal: Principal;
  requestId: string;
}

type PolicyFields = Pick<StartRunBody, 'profile' | 'max_cpu' | 'max_memory_mb' | 'rollout' | 'canary_percent' | 'grace_ms' | 'agent_telemetry' | 'max_cost_usd' | 'max_tokens_per_min' | 'max_burn_usd_per_hour'>;

export class RunControl {
  constructor(private readonly d: RunControlDeps) {}

  // ------------------------------------------------------------------ starting

  async start(body: StartRunBody, by: Actor): Promise<Run> {
    const workspace = this.workspaceFor(body.workspace_id);
    requireDirectory(body.cwd);
    const onRunaway = body.on_runaway ?? (body.restartable ? 'restart' : undefined);
    const settings = this.settings(body, workspace, onRunaway);
    // The agent's exporter is pointed at the receiver through the job's environment, so it opens first (once).
    if (settings.agentTelemetry) await this.d.engine.prepareAgentTelemetry();
    return this.launch(
      {
        name: body.name ?? (body.shell ? [body.command, ...body.args].join(' ') : basename(body.command)),
        command: body.command,
        args: body.args,
        shell: body.shell,
        cwd: body.cwd,
        env: body.env,
        source: 'api',
        workspaceId: workspace?.id ?? null,
        owner: by.principal.name,
        restartable: body.restartable || settings.onRunaway === 'restart',
        settings,
        stdin: body.stdin,
        requestId: by.requestId,
      },
    );
  }

  watch(body: WatchBody, by: Actor): Run {
    const workspace = this.workspaceFor(body.workspace_id);
    requireWatchablePid(body.pid);
    if (body.cwd) requireDirectory(body.cwd, 'body.cwd');
    const settings = this.settings(body, workspace, body.on_runaway);
    return this.launch({
      name: body.name,
      command: body.command ?? body.name,
      args: [],
      shell: true,
      cwd: body.cwd ?? cwdOf(body.pid),
      source: 'watch',
      workspaceId: workspace?.id ?? null,
      owner: by.principal.name,
      restartable: false,
      settings,
      stdin: 'ignore',
      requestId: by.requestId,
      watchShellPid: body.pid,
    });
  }

  private launch(spec: JobSpec): Run {
    let job: JobController;
    try {
      job = this.d.engine.startJob(spec);
    } catch (err) {
      throw new ApiProblem(503, 'unavailable', (err as Error).message);
    }
    const run = job.currentRun;
    if (!run) throw new Error('the engine started a job without a run');
    return run;
  }

  private workspaceFor(id: string | undefined): Workspace | null {
    if (id === undefined) return null;
    const ws = this.d.store.getWorkspace(id);
    if (!ws) throw invalidField('body.workspace_id', `no workspace '${id}' is registered; register it first (POST /v1/integrations/workspaces/register)`);
    return ws;
  }

  private settings(body: PolicyFields, workspace: Workspace | null, onRunaway: PolicyOverrides['onRunaway']): EffectiveSettings {
    const overrides: PolicyOverrides = {
      profile: body.profile ?? workspace?.profile,
      maxCpu: body.max_cpu,
      maxMemoryMb: body.max_memory_mb,
      onRunaway,
      rollout: body.rollout,
      canaryPercent: body.canary_percent,
      graceMs: body.grace_ms,
      agentTelemetry: body.agent_telemetry,
      maxCostUsd: body.max_cost_usd,
      maxTokensPerMin: body.max_tokens_per_min,
      maxBurnUsdPerHour: body.max_burn_usd_per_hour,
    };
    try {
      return this.d.resolveSettings(overrides);
    } catch (err) {
      throw badRequest(`invalid policy settings: ${(err as Error).message}`);
    }
  }

  // ------------------------------------------------------------------ lookups

  /**
   * The run as the principal may see it (404 when it does not exist or belongs
   * to another submit client): the engine's live record while this supervisor
   * runs it (current phase and peaks), else the stored one.
   */
  visibleRun(id: string, principal: Principal | null): Run {
    const run = this.d.store.getRun(id);
    if (!run || (principal?.scope === 'submit' && run.owner !== principal.name)) throw notFound(`no run with id '${id}'`);
    return this.d.engine.jobByRun(id)?.runs.find((r) => r.id === id) ?? run;
  }

  /** The run and its job, for an action: the principal must be allowed to act on it. */
  private target(runId: string, principal: Principal): { run: Run; job: JobController | undefined } {
    const run = this.d.store.getRun(runId);
    if (!run) throw notFound(`no run with id '${runId}'`);
    if (principal.scope === 'submit' && run.owner !== principal.name)
      throw forbidden(`the key '${principal.name}' may act only on runs it started; run '${runId}' was started by someone else`);
    return { run, job: this.d.engine.jobByRun(runId) };
  }

  /** The job, when `run` is the attempt it is running now. */
  private activeJob(run: Run, job: JobController | undefined): JobController {
    if (!job || !job.active) throw conflict(`run '${run.id}' already stopped${run.end_reason ? ` (${run.end_reason})` : ''}`, 'run-not-active');
    const current = job.currentRun;
    if (current && current.id !== run.id && run.ended_at !== null)
      throw conflict(`run '${run.id}' already stopped; its job continues as run '${current.id}': act on that one`, 'run-not-active');
    return job;
  }

  // ------------------------------------------------------------------ actions

  stop(runId: string, reason: string, by: Actor): ProcessActionResult {
    const { run, job } = this.target(runId, by.principal);
    const active = this.activeJob(run, job);
    active
      .stop({ actor: by.principal.actor, reason, requestId: by.requestId })
      .catch((err: Error) => this.d.logger.error(`stopping run ${run.id} failed: ${err.message}`, { request_id: by.requestId }));
    return this.result('stop_requested', active, run, by, active.currentRun?.lifecycle ?? 'STOPPED');
  }

  restart(runId: string, reason: string, by: Actor): ProcessActionResult {
    const { run, job } = this.target(runId, by.principal);
    if (!job)
      throw conflict(`run '${run.id}' was started by an earlier FlowForge session and cannot be restarted here; start it again with POST /v1/runs`);
    if (job.active) this.activeJob(run, job);
    else if (job.spec.watchShellPid !== undefined) throw conflict(`run '${run.id}' was a terminal command; it cannot be restarted from here`, 'run-not-active');
    const answer = job.restart({ actor: by.principal.actor, reason, requestId: by.requestId });
    if (!answer.ok) {
      this.d.metrics.budgetBlocks.inc({ source: 'api' });
      throw tooManyRequests('restart-budget-exceeded', answer.reason, answer.retryAfterMs);
    }
    return this.result('restart_requested', job, run, by, 'STARTING');
  }

  private result(status: ProcessActionResult['status'], job: JobController, run: Run, by: Actor, lifecycle: ProcessActionResult['lifecycle']): ProcessActionResult {
    return { status, run_id: run.id, job_id: job.jobId, lifecycle, request_id: by.requestId };
  }

  signal(runId: string, signal: NodeJS.Signals, by: Actor): boolean {
    const { run, job } = this.target(runId, by.principal);
    const delivered = this.activeJob(run, job).io.signal(signal);
    this.d.engine.recordAudit({
      actor: by.principal.actor,
      action: 'signal',
      reason: `${signal} forwarded`,
      request_id: by.requestId,
      run_id: run.id,
      workspace_id: run.workspace_id,
      details: { signal, delivered },
    });
    return delivered;
  }

  input(runId: string, body: InputBody, by: Actor): number {
    const { run, job } = this.target(runId, by.principal);
    const active = this.activeJob(run, job);
    const data = body.data_base64 !== undefined ? Buffer.from(body.data_base64, 'base64') : Buffer.from(body.data ?? '', 'utf8');
    let written = false;
    try {
      written = active.spec.stdin === 'pipe' && active.io.write(data);
    } catch (err) {
      if (!(err instanceof InputBacklogError)) throw err;
      throw tooManyRequests('input-backlog', `run '${run.id}' is not reading its input: ${err.message}; retry once it has caught up`, 1000);
    }
    if (!written) throw conflict(`run '${run.id}' does not take input (it was started with stdin: ignore, or has closed its input)`);
    return data.length;
  }

  lines(runId: string, body: LinesBody, by: Actor): { accepted: number; ended: boolean } {
    const { run, job } = this.target(runId, by.principal);
    if (job && job.spec.watchShellPid === undefined)
      throw conflict(`run '${run.id}' was started by FlowForge, which reads its output itself; lines are only for watched terminal commands`);
    const active = this.activeJob(run, job);
    active.io.feed(body.lines, body.end ? { exitCode: body.end.exit_code } : undefined);
    this.d.outputs.addLines(run.id, body.lines);
    return { accepted: body.lines.length, ended: body.end !== undefined };
  }
}

function requireDirectory(path: string, field = 'body.cwd'): void {
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    throw invalidField(field, `no such directory: ${path}`);
  }
  if (!isDir) throw invalidField(field, `not a directory: ${path}`);
}

/**
 * Watching a process lets FlowForge kill its descendants. The supervisor itself
 * and its ancestors are never watchable: their descendants include the
 * supervisor, which would then stop itself (and everything else it runs).
 */
function requireWatchablePid(pid: number): void {
  if (pid === process.pid) throw invalidField('body.pid', 'that is the FlowForge supervisor itself');
  if (ancestorsOfSelf().has(pid)) throw invalidField('body.pid', `process ${pid} is an ancestor of the FlowForge supervisor; watching it would put the supervisor in its own tree`);
  try {
    process.kill(pid, 0);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw invalidField('body.pid', code === 'EPERM' ? `process ${pid} belongs to another user` : `no process with pid ${pid}`);
  }
}

/** The supervisor's parent, grandparent, ... up to init (only the parent where there is no /proc). */
function ancestorsOfSelf(): Set<number> {
  const out = new Set<number>([process.ppid]);
  for (let pid = process.ppid, hops = 0; pid > 1 && hops < 256; hops++) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    } catch {
      break;
    }
    pid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    out.add(pid);
  }
  return out;
}

function cwdOf(pid: number): string {
  try {
    return readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return process.cwd();
  }
}
