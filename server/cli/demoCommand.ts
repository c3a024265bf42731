// `flowforge demo`: a runaway agent and a healthy build side by side. FlowForge
// catches the runaway, restarts it under supervision, it comes back healthy,
// and the build is left alone. Prints what happened and where the evidence is.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { numberFlag, parse, selfCommand, str } from '../util/args';
import { FEEDBACK_FILE } from '../agents/feedback';
import { HEALTHY_BUILD, RUNAWAY_AGENT } from '../shared/demoJobs';
import { openSession, type Session } from './session';
import { resolveSettings } from '../policy';
import type { JobController } from '../engine/job';
import type { JobOutcome } from '../engine/events';

const DEMO_HELP = `Usage: flowforge demo [--db PATH]

Runs two built-in jobs under FlowForge: an AI agent stuck in a loop at full CPU,
and a healthy build. Shows the runaway being caught and restarted, and the build
left alone. Takes about half a minute.`;

function startDemoJob(session: Session, name: string, source: string, restartable: boolean, cwd: string): JobController {
  const settings = resolveSettings({ profile: 'standard', onRunaway: restartable ? 'restart' : 'kill' });
  return session.engine.startJob({
    name,
    command: process.execPath,
    args: ['-e', source],
    shell: false,
    cwd,
    env: { ELECTRON_RUN_AS_NODE: '1' },
    source: 'demo',
    workspaceId: null,
    owner: null,
    restartable,
    settings,
    stdin: 'ignore',
  });
}

/** Shows a job's output with a prefix, a few lines a second at most (the runaway floods). */
function showOutput(session: Session, job: JobController, label: string): void {
  let lastAt = 0;
  let skipped = 0;
  session.engine.events.on('output', (e) => {
    if (e.job_id !== job.jobId) return;
    const now = Date.now();
    const lines = e.chunk.toString('utf8').split('\n').filter(Boolean);
    if (now - lastAt < 400) {
      skipped += lines.length;
      return;
    }
    lastAt = now;
    const more = skipped > 0 ? `  (+${skipped} more lines)` : '';
    skipped = 0;
    process.stdout.write(`  ${label} │ ${lines[0] ?? ''}${more}\n`);
  });
}

function report(runaway: JobOutcome, build: JobOutcome, storePath: string, workDir: string): boolean {
  const feedback = join(workDir, FEEDBACK_FILE);
  const caught = runaway.intervened && runaway.intervened_after_s !== null;
  const recovered = runaway.outcome === 'restarted' && runaway.exit_code === 0;
  const buildClean = !build.intervened && build.outcome === 'exited' && build.exit_code === 0 && build.alerts === 0;
  const lines = [
    '',
    caught ? `Runaway detected in ${runaway.intervened_after_s!.toFixed(1)} seconds` : 'The runaway was NOT caught (this is a bug; please report it).',
    `CPU peaked at ${Math.round(runaway.peak_cpu_percent)}%`,
    recovered
      ? `Process recovered (attempt ${runaway.attempts} ran under supervision and exited cleanly)`
      : `The restarted job did not recover (outcome: ${runaway.outcome}, exit code ${runaway.exit_code ?? '-'})`,
    buildClean ? 'Healthy build finished untouched (no alerts, no intervention)' : `The healthy build was disturbed (outcome ${build.outcome}, alerts ${build.alerts})`,
    '',
    'See the evidence:',
    `  ${selfCommand()} incidents --db ${storePath}`,
    ...runaway.incident_ids.slice(0, 1).map((id) => `  ${selfCommand()} timeline --incident ${id} --db ${storePath}`),
    '  In VS Code: FlowForge: Show Incidents',
    ...(existsSync(feedback) ? [`What FlowForge left for the agent's next attempt: ${feedback}`] : []),
    '',
  ];
  process.stdout.write(lines.join('\n'));
  return caught && recovered && buildClean;
}

export async function demoCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { db: { type: 'string' }, help: { type: 'boolean', short: 'h' }, 'timeout-s': { type: 'string' } });
  if (values.help) {
    process.stdout.write(DEMO_HELP + '\n');
    return 0;
  }
  const timeoutS = numberFlag(values, 'timeout-s', { min: 10, max: 600 }) ?? 90;
  const session = await openSession({ dbPath: str(values, 'db') });
  try {
    process.stdout.write('FlowForge demo: an agent stuck in a loop, and a healthy build, both supervised.\n\n');
    // The jobs' own folder: a stop leaves flowforge-feedback.md beside the job, and the
    // demo must not leave files in whatever folder it was started from (a checkout).
    const workDir = mkdtempSync(join(tmpdir(), 'flowforge-demo-'));
    const runaway = startDemoJob(session, 'demo: looping agent', RUNAWAY_AGENT, true, workDir);
    const build = startDemoJob(session, 'demo: healthy build', HEALTHY_BUILD, false, workDir);
    showOutput(session, runaway, 'agent');
    showOutput(session, build, 'build');
    session.engine.events.on('intervention', (e) => {
      process.stdout.write(e.explanation.map((l) => `  FlowForge │ ${l}\n`).join(''));
    });
    process.on('SIGINT', () => void session.close('demo interrupted'));
    const timer = setTimeout(() => void session.close('demo timed out'), timeoutS * 1000);
    const [r, b] = await Promise.all([runaway.whenEnded(), build.whenEnded()]);
    clearTimeout(timer);
    return report(r, b, session.storePath, workDir) ? 0 : 1;
  } finally {
    await session.close();
  }
}
