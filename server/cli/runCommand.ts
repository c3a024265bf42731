// `flowforge run [flags] -- <command...>`: supervise one command in the
// foreground, pass its output through, explain any intervention, and exit with
// a code a calling script can branch on (shared/runEnd.ts: job's own, 130 user
// stop, 137 runaway kill, 127 no start).
import { writeFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { JobOutcome } from '../engine/events';
import type { JobController } from '../engine/job';
import { resolveSettingsFrom } from '../policy/settings';
import type { EffectiveSettings, PolicyOverrides } from '../policy/types';
import { exitCodeFor } from '../shared/runEnd';
import { numberFlag, oneOf, parse, selfCommand, str, UsageError } from '../util/args';
import type { CliApi } from './cliApi';
import { OutputRelay } from './outputRelay';
import { openRunSession } from './runSession';
import type { Session } from './sessionCore';

export const RUN_HELP = `Usage: flowforge run [flags] -- <command> [args...]

Runs a command under supervision: passes its output through, watches its whole
process tree, and steps in when it runs away.

Flags:
  --profile NAME               light | standard (default) | strict | agent
  --max-cpu PERCENT            CPU threshold, percent of one core (tree total)
  --max-memory-mb MB           stop the job when its tree's memory passes this
  --on-runaway ACTION          alert | kill (default) | restart
  --policy-rollout MODE        enforce (default) | shadow | canary
  --policy-canary-percent N    share of runs enforced in canary mode (0-100)
  --shadow-mode                shorthand for --policy-rollout shadow
  --grace-ms MS                time between SIGTERM and SIGKILL (default 3000)
  --config FILE                YAML or JSON policy file (flags win over it)
  --db PATH                    evidence store file (default: your state directory)
  --api                        serve the /v1 API for this run on a free loopback port (off by default)
  --api-port N                 serve the /v1 API on this loopback port (implies --api)
  --no-api                     do not serve the API (the default; kept for scripts that pass it)
  --summary-json FILE          write a JSON summary of the run when it ends
  --name NAME                  a name for the job (default: the command)
  --shell                      run the command line through the system shell
  --quiet                      print nothing but the job's own output
  --feedback-file PATH         where to write flowforge-feedback.md when FlowForge stops the job (default: beside it)
  --no-feedback                write no feedback file
  --inject-feedback            the feedback file is the job's stdin (a restart gets the one just written)
  --otlp-endpoint URL          export this run's metrics, span and incidents over OTLP/HTTP to URL
                               (off by default; the standard OTEL_EXPORTER_OTLP_* variables work too)
  --agent-telemetry            point the agent's OpenTelemetry exporter at a loopback receiver of this run
                               (on with --profile agent or a budget; --no-agent-telemetry turns it off)
  --max-cost-usd USD           stop the job when the agent reports this much cost in this run
  --max-tokens-per-min N       stop the job when the agent reports this many tokens within a minute
  --max-burn-usd-per-hour USD  alert when the agent's recent spending reaches this much per hour
Exit codes: the job's own; 130 stopped by you; 137 stopped by FlowForge; 127 could not start.`;

const RUN_OPTIONS = {
  profile: { type: 'string' },
  'max-cpu': { type: 'string' },
  'max-memory-mb': { type: 'string' },
  'on-runaway': { type: 'string' },
  'policy-rollout': { type: 'string' },
  'policy-canary-percent': { type: 'string' },
  'shadow-mode': { type: 'boolean' },
  'grace-ms': { type: 'string' },
  config: { type: 'string' },
  db: { type: 'string' },
  api: { type: 'boolean' },
  'api-port': { type: 'string' },
  'no-api': { type: 'boolean' },
  'summary-json': { type: 'string' },
  name: { type: 'string' },
  shell: { type: 'boolean' },
  quiet: { type: 'boolean' },
  'feedback-file': { type: 'string' },
  'no-feedback': { type: 'boolean' },
  'inject-feedback': { type: 'boolean' },
  'otlp-endpoint': { type: 'string' },
  'agent-telemetry': { type: 'boolean' },
  'no-agent-telemetry': { type: 'boolean' },
  'max-cost-usd': { type: 'string' },
  'max-tokens-per-min': { type: 'string' },
  'max-burn-usd-per-hour': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export interface RunArgs {
  overrides: PolicyOverrides;
  command: string[];
  db?: string;
  apiPort: number | null;
  summaryJson?: string;
  name?: string;
  shell: boolean;
  quiet: boolean;
  /** undefined: beside the job; null: none. */
  feedbackFile?: string | null;
  injectFeedback: boolean;
  otlpEndpoint?: string;
}

export function parseRunArgs(argv: string[]): RunArgs | 'help' {
  const { values, rest } = parse(argv, RUN_OPTIONS);
  if (values.help) return 'help';
  if (rest.length === 0) throw new UsageError('no command given: flowforge run [flags] -- <command> [args...]');
  let rollout = oneOf(values, 'policy-rollout', ['enforce', 'shadow', 'canary'] as const);
  if (values['shadow-mode'] && rollout !== 'canary') rollout = 'shadow';
  // Opt-in: a job needs no API to be supervised, and an API key within a job's reach is a risk.
  const noApi = values['no-api'] === true;
  const apiPort = numberFlag(values, 'api-port', { min: 0, max: 65535, integer: true });
  const wantsApi = values.api === true || apiPort !== undefined;
  if (noApi && wantsApi) throw new UsageError(`${values.api ? '--api' : '--api-port'} and --no-api cannot be used together`);
  return {
    overrides: {
      profile: oneOf(values, 'profile', ['light', 'standard', 'strict', 'agent'] as const),
      maxCpu: numberFlag(values, 'max-cpu', { min: 1, max: 100 * 64 }),
      maxMemoryMb: numberFlag(values, 'max-memory-mb', { min: 1, max: 16 * 1024 * 1024 }),
      onRunaway: oneOf(values, 'on-runaway', ['alert', 'kill', 'restart'] as const),
      rollout,
      canaryPercent: numberFlag(values, 'policy-canary-percent', { min: 0, max: 100 }),
      graceMs: numberFlag(values, 'grace-ms', { min: 0, max: 600_000, integer: true }),
      configFile: str(values, 'config'),
      ...agentTelemetryFlags(values),
    },
    command: rest,
    db: str(values, 'db'),
    apiPort: wantsApi ? (apiPort ?? 0) : null,
    summaryJson: str(values, 'summary-json'),
    name: str(values, 'name'),
    shell: values.shell === true,
    quiet: values.quiet === true,
    feedbackFile: values['no-feedback'] === true ? null : str(values, 'feedback-file'),
    injectFeedback: values['inject-feedback'] === true,
    otlpEndpoint: otlpEndpointFlag(str(values, 'otlp-endpoint')),
  };
}

/** `--otlp-endpoint`: checked before the job starts, so a typo is a usage error, not a silent lack of telemetry. */
export function otlpEndpointFlag(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') return value;
  } catch {
    /* reported below */
  }
  throw new UsageError(`--otlp-endpoint needs an http:// or https:// URL (an OTLP/HTTP collector, e.g. http://localhost:4318), not '${value}'`);
}

/** --agent-telemetry and the budgets (validated again, with the config file's values, by resolveSettings). */
function agentTelemetryFlags(values: Record<string, string | boolean | undefined>): Pick<PolicyOverrides, 'agentTelemetry' | 'maxCostUsd' | 'maxTokensPerMin' | 'maxBurnUsdPerHour'> {
  if (values['agent-telemetry'] && values['no-agent-telemetry']) throw new UsageError('--agent-telemetry and --no-agent-telemetry cannot be used together');
  return {
    agentTelemetry: values['agent-telemetry'] ? true : values['no-agent-telemetry'] ? false : undefined,
    maxCostUsd: numberFlag(values, 'max-cost-usd', { min: 0.01, max: 1_000_000 }),
    maxTokensPerMin: numberFlag(values, 'max-tokens-per-min', { min: 1, max: 1e12 }),
    maxBurnUsdPerHour: numberFlag(values, 'max-burn-usd-per-hour', { min: 0.01, max: 1_000_000 }),
  };
}

/** The `--summary-json` object, exactly these keys: scripts and the corpus bench parse it, so keys are never added or renamed casually. */
export function summaryOf(o: JobOutcome): Record<string, unknown> {
  return {
    run_id: o.run_id,
    outcome: o.outcome === 'supervisor_shutdown' ? 'stopped_by_user' : o.outcome,
    exit_code: o.exit_code,
    signal: o.signal,
    intervened: o.intervened,
    action: o.action,
    first_flag_s: o.first_flag_s,
    intervened_after_s: o.intervened_after_s,
    alerts: o.alerts,
    incident_ids: o.incident_ids,
    rules: o.rules,
    peak_cpu_percent: o.peak_cpu_percent,
    peak_rss_mb: o.peak_rss_mb,
    duration_s: o.duration_s,
  };
}

/** Job output goes to our stdout/stderr byte for byte, pausing the job when we cannot keep up. */
export function passThroughOutput(session: Session, job: JobController): OutputRelay {
  const relay = new OutputRelay(
    { stdout: process.stdout, stderr: process.stderr },
    { setPaused: (paused) => job.io.pauseOutput(paused), closeOutput: (stream) => job.io.closeOutput(stream) },
  );
  session.engine.events.on('output', (e) => {
    if (e.job_id === job.jobId) relay.push(e.stream, e.chunk);
  });
  return relay;
}

export function printInterventions(session: Session, jobId: string, quiet: boolean): void {
  if (quiet) return;
  session.engine.events.on('intervention', (e) => {
    if (e.run.job_id !== jobId) return;
    process.stderr.write(e.explanation.map((l) => `flowforge: ${l}\n`).join(''));
  });
}

/** Ctrl+C once: stop gracefully (SIGINT first). Twice: no more grace. SIGTERM/SIGHUP: stop. */
export function stopOnSignals(job: JobController, session: Session): void {
  let interrupts = 0;
  process.on('SIGINT', () => {
    interrupts++;
    if (interrupts === 1) {
      session.logger.info('stopping the job (Ctrl+C again to force)');
      void job.stop({ actor: 'user', reason: 'Ctrl+C', firstSignal: 'SIGINT' });
    } else void job.stop({ actor: 'user', reason: 'Ctrl+C twice', firstSignal: 'SIGKILL' });
  });
  for (const sig of ['SIGTERM', 'SIGHUP'] as const)
    process.on(sig, () => void job.stop({ actor: 'user', reason: `flowforge received ${sig}`, firstSignal: 'SIGTERM' }));
  // Reading a terminal from the background must not stop us; the read just fails.
  process.on('SIGTTIN', () => undefined);
}

function forwardStdin(job: JobController): void {
  process.stdin.on('data', (d: Buffer) => job.io.write(d));
  process.stdin.on('end', () => job.io.closeInput());
  process.stdin.on('error', () => job.io.closeInput());
}

/** The config file's values; its reader (a YAML parser, schemas) is loaded only when there is one. */
async function configFileValues(overrides: PolicyOverrides) {
  return overrides.configFile ? (await import('../policy/configFile')).loadConfigFile(overrides.configFile) : {};
}

export async function runCommand(argv: string[]): Promise<number> {
  const args = parseRunArgs(argv);
  if (args === 'help') {
    process.stdout.write(RUN_HELP + '\n');
    return 0;
  }
  const settings: EffectiveSettings = resolveSettingsFrom(args.overrides, await configFileValues(args.overrides));
  // Without an API nothing reads the store while the job starts: the job goes first, the store opens beside it.
  const session = await openRunSession({ dbPath: args.db, quiet: args.quiet, sampleIntervalMs: settings.sampleIntervalMs, deferStore: args.apiPort === null, otlpEndpoint: args.otlpEndpoint });
  let api: CliApi | null = null;
  try {
    // Loaded only when used: the HTTP stack is most of the start-up cost of a plain run.
    if (args.apiPort !== null) api = await (await import('./cliApi')).startCliApi(session, args.apiPort, args.quiet);
    // The agent's exporter is pointed at the receiver through the job's environment, so it opens first.
    if (settings.agentTelemetry) await session.engine.prepareAgentTelemetry();
    const [command, ...rest] = args.command as [string, ...string[]];
    const job = session.engine.startJob({
      name: args.name ?? (args.shell ? args.command.join(' ') : basename(command)),
      command,
      args: rest,
      shell: args.shell,
      cwd: process.cwd(),
      source: 'cli',
      workspaceId: null,
      owner: null,
      restartable: settings.onRunaway === 'restart',
      settings,
      stdin: 'pipe',
      feedbackFile: args.feedbackFile,
      injectFeedback: args.injectFeedback,
    });
    const relay = passThroughOutput(session, job);
    printInterventions(session, job.jobId, args.quiet);
    stopOnSignals(job, session);
    // With --inject-feedback the job's stdin is the feedback file, not the terminal.
    if (!args.injectFeedback) forwardStdin(job);
    session.begin();

    const outcome = await job.whenEnded();
    // The message below names the file the incident went to (a busy default store gives way to another).
    if (outcome.intervened) await session.ready();
    await relay.finish();
    if (outcome.start_error) process.stderr.write(`flowforge: ${outcome.start_error}\n`);
    if (args.summaryJson) writeFileSync(resolve(args.summaryJson), JSON.stringify(summaryOf(outcome), null, 2) + '\n');
    if (!args.quiet && outcome.intervened) session.logger.info(`incident recorded in ${session.storePath}: ${selfCommand()} incidents --db ${session.storePath}`);
    return exitCodeFor(outcome);
  } finally {
    process.stdin.pause();
    await api?.close();
    await session.close();
  }
}
