// `FlowForge: Run Demo`: the CLI demo's two jobs (server/shared/demoJobs.ts), an
// agent stuck in a loop and a healthy build, started through the API with
// VS Code's own Node; FlowForge catches and restarts the runaway, leaves the
// build alone, and the outcome is shown with a way to the incident.
import { homedir } from 'node:os';
import * as vscode from 'vscode';
import { HEALTHY_BUILD, RUNAWAY_AGENT } from '../../server/shared/demoJobs';
import type { ApiClient } from '../backend/apiClient';
import type { BackendEvents } from '../backend/backendEvents';
import { recordOf } from '../backend/journal';
import { demoJob, demoJobEnded, demoReport, onDemoAudit, onDemoRun, type DemoJob, type DemoReport } from './demoOutcome';

const DEMO_TIMEOUT_MS = 120_000;

/** Runs a Node script with the Node VS Code runs on (Electron needs ELECTRON_RUN_AS_NODE, which jobs do not inherit). */
export function nodeScriptCommand(script: string): { command: string; args: string[] } {
  if (process.versions.electron && process.platform !== 'win32') {
    return { command: '/usr/bin/env', args: ['ELECTRON_RUN_AS_NODE=1', process.execPath, '-e', script] };
  }
  return { command: process.execPath, args: ['-e', script] };
}

export async function runDemo(client: ApiClient, events: BackendEvents, showIncident: (id: string | undefined) => unknown): Promise<DemoReport | undefined> {
  let incidentId: string | null = null;
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage('FlowForge runs its demo only in a trusted workspace.');
    return undefined;
  }
  const cwd = vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file')?.uri.fsPath ?? homedir();
  const start = (name: string, script: string, restartable: boolean) =>
    client.startRun({ name, ...nodeScriptCommand(script), cwd, profile: 'standard', restartable, on_runaway: restartable ? 'restart' : 'kill', stdin: 'ignore' });
  const report = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'FlowForge demo', cancellable: true },
    async (progress, token) => {
      progress.report({ message: 'an agent stuck in a loop and a healthy build, both supervised…' });
      const [agent, build] = await Promise.all([start('demo: looping agent', RUNAWAY_AGENT, true), start('demo: healthy build', HEALTHY_BUILD, false)]);
      const jobs = [demoJob(agent), demoJob(build)] as const;
      token.onCancellationRequested(() => {
        for (const j of jobs) if (j.last?.ended_at === null) void client.kill(j.last.id, 'demo cancelled in VS Code').catch(() => undefined);
      });
      await followDemo(events, jobs, () => progress.report({ message: 'FlowForge caught the runaway and restarted it; waiting for it to recover…' }));
      incidentId = jobs[0].incidentId;
      return demoReport(jobs[0], jobs[1]);
    },
  );
  const text = `FlowForge demo: ${report.lines.join('. ')}.`;
  const choice = report.ok ? await vscode.window.showInformationMessage(text, 'Show incident') : await vscode.window.showWarningMessage(text, 'Show incident');
  if (choice) showIncident(incidentId ?? undefined);
  return report;
}

function followDemo(events: BackendEvents, jobs: readonly [DemoJob, DemoJob], onCaught: () => void): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      sub.dispose();
      resolve();
    };
    const timer = setTimeout(done, DEMO_TIMEOUT_MS);
    const sub = events.on('journal', (e) => {
      const run = recordOf(e, 'run');
      const audit = recordOf(e, 'audit');
      for (const j of jobs) {
        const caughtBefore = j.interventionAt !== null;
        if (run) onDemoRun(j, run);
        if (audit) onDemoAudit(j, audit);
        if (!caughtBefore && j.interventionAt !== null) onCaught();
      }
      if (jobs.every(demoJobEnded)) done();
    });
  });
}
