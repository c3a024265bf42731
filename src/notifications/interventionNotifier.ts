// Notifications when FlowForge steps in, with "Show incident" (the panel on
// that incident) and "Restart" (POST /v1/process/restart; a spent restart
// budget is explained, with when to try again).
import * as vscode from 'vscode';
import type { Logger } from '../../server/util/logger';
import { ApiError, type ApiClient } from '../backend/apiClient';
import type { BackendEvents } from '../backend/backendEvents';
import { recordOf } from '../backend/journal';
import type { Settings } from '../settings';
import { InterventionTracker, type Intervention } from './interventions';

const SHOW = 'Show incident';
const RESTART = 'Restart';

export class InterventionNotifier implements vscode.Disposable {
  private readonly tracker = new InterventionTracker();
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly client: ApiClient,
    events: BackendEvents,
    private readonly settings: Settings,
    private readonly showIncident: (incidentId: string | undefined) => unknown,
    private readonly logger: Logger,
  ) {
    this.subscription = events.on('journal', (e) => {
      const run = recordOf(e, 'run');
      if (run) this.tracker.onRun(run);
      const incident = recordOf(e, 'incident');
      const audit = recordOf(e, 'audit');
      const now = Date.now();
      const found = incident ? this.tracker.onIncident(incident, now) : audit ? this.tracker.onAudit(audit, now) : null;
      if (found) void this.notify(found);
    });
  }

  dispose(): void {
    this.subscription.dispose();
  }

  private async notify(i: Intervention): Promise<void> {
    this.logger.info(i.message, { run_id: i.runId, incident_id: i.incidentId });
    if (!this.settings.window().notifications) return;
    const actions = i.canRestart ? [SHOW, RESTART] : [SHOW];
    const choice =
      i.severity === 'error' ? await vscode.window.showErrorMessage(i.message, ...actions) : await vscode.window.showWarningMessage(i.message, ...actions);
    if (choice === SHOW) this.showIncident(i.incidentId ?? undefined);
    else if (choice === RESTART) await restartRun(this.client, i.runId, 'restarted from the FlowForge notification in VS Code');
  }
}

/** Restarts a run's job and tells the person how it went (a 429 says when the budget allows the next restart). */
export async function restartRun(client: ApiClient, runId: string, reason: string): Promise<boolean> {
  try {
    await client.restart(runId, reason);
    void vscode.window.showInformationMessage('FlowForge is restarting the job; it is supervised like the first time.');
    return true;
  } catch (err) {
    const e = err as Error;
    const retry = e instanceof ApiError && e.retryAfterSeconds ? ` Try again in ${e.retryAfterSeconds} s.` : '';
    const lead = e instanceof ApiError && e.status === 429 ? 'FlowForge will not restart the job yet' : 'FlowForge could not restart the job';
    void vscode.window.showWarningMessage(`${lead}: ${e.message}${retry}`);
    return false;
  }
}
