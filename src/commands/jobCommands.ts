// `FlowForge: Stop Job` and `FlowForge: Restart Job`: a quick pick over the
// supervised jobs (running ones; for a restart also recently ended ones), then
// the API call, with the result told in words.
import * as vscode from 'vscode';
import type { Run } from '../../server/shared/protocol/domain';
import type { ApiClient } from '../backend/apiClient';
import { restartRun } from '../notifications/interventionNotifier';

interface RunItem extends vscode.QuickPickItem {
  run: Run;
}

const ago = (t: number) => {
  const s = Math.max(0, Math.round((Date.now() - t) / 1000));
  return s < 90 ? `${s} s ago` : s < 5400 ? `${Math.round(s / 60)} min ago` : `${Math.round(s / 3600)} h ago`;
};

function itemOf(run: Run): RunItem {
  const state = run.ended_at === null ? `running · started ${ago(run.started_at)}` : `${run.end_reason ?? 'ended'} ${ago(run.ended_at)}`;
  return {
    label: `${run.ended_at === null ? '$(pulse)' : '$(circle-outline)'} ${run.name}`,
    description: `${state} · attempt ${run.attempt} · ${run.source}`,
    detail: run.command,
    run,
  };
}

/** The newest run of each job (a restarted job shows once). */
function latestPerJob(runs: Run[]): Run[] {
  const seen = new Set<string>();
  return runs.filter((r) => !seen.has(r.job_id) && seen.add(r.job_id));
}

async function pick(runs: Run[], title: string, empty: string): Promise<Run | undefined> {
  if (runs.length === 0) {
    void vscode.window.showInformationMessage(empty);
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(runs.map(itemOf), { title, matchOnDescription: true, matchOnDetail: true });
  return picked?.run;
}

export async function stopJob(client: ApiClient, runId?: string): Promise<void> {
  const target = runId ?? (await pick((await client.listRuns({ active: true, limit: 100 })).items, 'FlowForge: Stop Job', 'No supervised job is running.'))?.id;
  if (!target) return;
  try {
    await client.kill(target, 'stopped from VS Code (FlowForge: Stop Job)');
    void vscode.window.showInformationMessage('FlowForge is stopping the job (SIGTERM to its process tree, SIGKILL after the grace period).');
  } catch (err) {
    void vscode.window.showWarningMessage(`FlowForge could not stop the job: ${(err as Error).message}`);
  }
}

export async function restartJob(client: ApiClient, runId?: string): Promise<void> {
  let target = runId;
  if (!target) {
    const recent = (await client.listRuns({ limit: 100 })).items.filter((r) => r.source !== 'watch');
    const runs = latestPerJob(recent).sort((a, b) => Number(b.ended_at === null) - Number(a.ended_at === null)).slice(0, 30);
    target = (await pick(runs, 'FlowForge: Restart Job', 'No job to restart yet (terminal commands cannot be restarted from here).'))?.id;
  }
  if (target) await restartRun(client, target, 'restarted from VS Code (FlowForge: Restart Job)');
}
