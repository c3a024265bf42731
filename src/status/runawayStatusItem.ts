// The `flowforge.status` item on the left of the status bar: idle shield, the
// number of supervised jobs, or the runaway state (error background, naming
// the job) when an incident opens. Its tooltip tells the latest incident; a
// click opens the incidents. Driven by the event stream, seeded by a GET.
import * as vscode from 'vscode';
import type { Incident } from '../../server/shared/protocol/domain';
import type { Logger } from '../../server/util/logger';
import type { ApiClient } from '../backend/apiClient';
import type { BackendEvents } from '../backend/backendEvents';
import { recordOf } from '../backend/journal';
import { StatusModel, type BackendState } from './statusModel';

export const STATUS_ITEM_ID = 'flowforge.status';

export function incidentTooltip(incident: Incident | null): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.isTrusted = { enabledCommands: ['flowforge.showIncidents'] };
  if (!incident) {
    md.appendMarkdown('**FlowForge** — no incidents yet.\n\n[Show incidents](command:flowforge.showIncidents)');
    return md;
  }
  const when = new Date(incident.opened_at).toLocaleString();
  const action = incident.enforced || incident.action === incident.intended ? incident.action : `${incident.action} (policy wanted ${incident.intended})`;
  md.appendMarkdown('**FlowForge — latest incident:** ');
  md.appendText(incident.title);
  md.appendMarkdown('\n\n**Job:** ');
  md.appendText(incident.name);
  md.appendMarkdown('\n\n**Reason:** ');
  md.appendText(incident.reason);
  md.appendMarkdown(`\n\n**When:** ${when} · **Action:** ${action} · **Status:** ${incident.status}`);
  md.appendMarkdown('\n\n[Show incidents](command:flowforge.showIncidents)');
  return md;
}

export class RunawayStatusItem implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem(STATUS_ITEM_ID, vscode.StatusBarAlignment.Left, 50);
  private readonly model = new StatusModel();
  private readonly disposables: vscode.Disposable[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly client: ApiClient,
    events: BackendEvents,
    private readonly logger: Logger,
  ) {
    this.item.name = 'FlowForge';
    this.item.command = 'flowforge.showIncidents';
    this.disposables.push(
      this.item,
      events.on('open', () => void this.seed()),
      events.on('journal', (e) => {
        const run = recordOf(e, 'run');
        if (run) this.model.onRun(run);
        const incident = recordOf(e, 'incident');
        if (incident) this.model.onIncident(incident, Date.now());
        const audit = recordOf(e, 'audit');
        if (audit) this.model.onAudit(audit);
        if (run || incident || audit) this.render();
      }),
    );
    this.render();
    this.item.show();
  }

  setBackendState(state: BackendState): void {
    this.model.backend = state;
    this.render();
  }

  /** The person is looking at the incidents now. */
  acknowledge(): void {
    this.model.acknowledge();
    this.render();
  }

  /** What the item shows now (for tests). */
  get shown(): { text: string; background: string | undefined } {
    return { text: this.item.text, background: (this.item.backgroundColor as vscode.ThemeColor | undefined)?.id };
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  private async seed(): Promise<void> {
    try {
      const [lifecycle, incidents] = await Promise.all([this.client.workerLifecycle(1), this.client.listIncidents({ limit: 1 })]);
      this.model.seed(lifecycle.active, incidents.items[0] ?? null);
      this.render();
    } catch (err) {
      this.logger.debug(`status bar: could not read the current state: ${(err as Error).message}`);
    }
  }

  private render(): void {
    const now = Date.now();
    const view = this.model.view(now);
    this.item.text = view.text;
    this.item.backgroundColor = view.background ? new vscode.ThemeColor(`statusBarItem.${view.background}Background`) : undefined;
    this.item.tooltip = incidentTooltip(view.incident);
    this.item.accessibilityInformation = { label: view.label, role: 'button' };
    if (this.timer) clearTimeout(this.timer);
    const next = this.model.nextChangeAt();
    this.timer = next === null ? null : setTimeout(() => this.render(), Math.max(0, next - now) + 50);
  }
}
