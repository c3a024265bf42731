// The `flowforge` command line: a thin dispatcher over the subcommands.
import { UsageError } from './util/args';
import { runCommand } from './cli/runCommand';
import { SettingsError } from './policy/settings';
import { StoreLockedError } from './store/lock';
import { isOwnSecretVar } from './supervisor/childEnv';
import { scrubInitialEnvironment } from './util/initialEnvironment';

const HELP = `flowforge — a guardrail for long-running scripts and AI-agent jobs

Usage:
  flowforge run [flags] -- <command...>   supervise a command (flowforge run --help)
  flowforge demo                          watch FlowForge catch a runaway and recover it
  flowforge serve [--api-port N]          run the backend and its /v1 API in the foreground
  flowforge api <method> <path> [--data JSON]   call the API (the key never on the command line)
  flowforge incidents [--json]            list recorded incidents
  flowforge timeline [--incident ID]      everything FlowForge did (or one incident's chain)
  flowforge evidence <export|verify|public-key>   signed evidence bundles of an incident
  flowforge allow <incident>              not a runaway: its learned signature stops alerting and stopping
  flowforge hook <claude|gemini|codex>    answer an agent's hook (see docs/agents.md)
  flowforge agent setup <agent> [--user|--project] [--print]   add FlowForge's hooks to an agent's settings
  flowforge bench <corpus|overhead|store|api|detector|hooks|agents>   benchmarks

Common flags: --db PATH (evidence store), --help`;

type Command = (argv: string[]) => Promise<number>;

const commands: Record<string, () => Promise<Command>> = {
  run: async () => runCommand,
  demo: async () => (await import('./cli/demoCommand')).demoCommand,
  serve: async () => (await import('./cli/serveCommand')).serveCommand,
  api: async () => (await import('./cli/apiCommand')).apiCommand,
  incidents: async () => (await import('./cli/readCommands')).incidentsCommand,
  timeline: async () => (await import('./cli/readCommands')).timelineCommand,
  evidence: async () => (await import('./cli/evidenceCommand')).evidenceCommand,
  allow: async () => (await import('./cli/allowCommand')).allowCommand,
  bench: async () => (await import('./cli/benchCommand')).benchCommand,
  hook: async () => (await import('./agents/hookClient')).hookCommand,
  agent: async () => (await import('./agents/agentSetup')).agentCommand,
};

export async function main(argv: string[]): Promise<number> {
  // Before anything starts a job: a job can read this process's initial environment.
  const scrub = scrubInitialEnvironment(isOwnSecretVar);
  if (scrub.failure) process.stderr.write(`flowforge: warning: ${scrub.failure}; jobs may read FlowForge keys from this process's environment\n`);
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(HELP + '\n');
    return name ? 0 : 2;
  }
  const load = commands[name];
  if (!load) {
    process.stderr.write(`flowforge: unknown command '${name}'\n\n${HELP}\n`);
    return 2;
  }
  try {
    return await (await load())(rest);
  } catch (err) {
    if (err instanceof UsageError || err instanceof SettingsError || err instanceof StoreLockedError) {
      process.stderr.write(`flowforge: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`flowforge: unexpected error: ${(err as Error).stack ?? String(err)}\n`);
    return 70;
  }
}
