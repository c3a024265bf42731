// Integration workspaces: a workspace folder registered by the
// editor, with its protection switch and profile. Everything a workspace
// endpoint reports or acts on is limited to that workspace's runs.
import type { Engine } from '../engine/engine';
import type {
  ProtectionBody,
  RegisterWorkspaceBody,
  WorkspaceActionBody,
  WorkspaceActionResult,
  WorkspaceStatus,
} from '../shared/protocol/api';
import type { Incident, Run, Workspace } from '../shared/protocol/domain';
import type { EvidenceStore } from '../store/types';
import type { Clock } from '../util/clock';
import { conflict, notFound } from './problems';
import type { Actor, RunControl } from './runControl';

export class Workspaces {
  constructor(
    private readonly engine: Engine,
    private readonly store: EvidenceStore,
    private readonly runs: RunControl,
    private readonly clock: Clock,
  ) {
    // The engine forgets across restarts; the store remembers which workspaces have protection off.
    for (const ws of store.listWorkspaces()) engine.setWorkspacePolicy(ws.id, { protection: ws.protection_enabled });
  }

  get(id: string): Workspace {
    const ws = this.store.getWorkspace(id);
    if (!ws) throw notFound(`no workspace '${id}' is registered`);
    return ws;
  }

  /** Registers or updates a workspace; protection keeps its current setting. */
  register(body: RegisterWorkspaceBody, by: Actor): { workspace: Workspace; created: boolean } {
    const now = this.clock.now();
    const existing = this.store.getWorkspace(body.workspace_id);
    const workspace: Workspace = {
      id: body.workspace_id,
      path: body.workspace_path,
      profile: body.profile,
      client: body.client,
      protection_enabled: existing?.protection_enabled ?? true,
      protection_reason: existing?.protection_reason ?? '',
      registered_at: existing?.registered_at ?? now,
      updated_at: now,
    };
    this.store.upsertWorkspace(workspace);
    this.engine.setWorkspacePolicy(workspace.id, { protection: workspace.protection_enabled });
    this.audit(by, workspace.id, existing ? 'workspace_update' : 'workspace_register', `${body.client} registered ${body.workspace_path}`, {
      path: body.workspace_path,
      profile: body.profile,
      client: body.client,
    });
    return { workspace, created: !existing };
  }

  unregister(id: string, reason: string | undefined, by: Actor): void {
    this.get(id);
    this.store.deleteWorkspace(id);
    // Runs still going keep running, protected as any run without a workspace.
    this.engine.setWorkspacePolicy(id, { protection: true });
    this.audit(by, id, 'workspace_unregister', reason || 'workspace unregistered', {});
  }

  setProtection(id: string, body: ProtectionBody, by: Actor): Workspace {
    const ws = { ...this.get(id), protection_enabled: body.enabled, protection_reason: body.reason ?? '', updated_at: this.clock.now() };
    this.store.upsertWorkspace(ws);
    this.engine.setWorkspacePolicy(id, { protection: body.enabled });
    const what = body.enabled ? 'protection turned on' : 'protection turned off';
    this.audit(by, id, body.enabled ? 'protection_on' : 'protection_off', body.reason ? `${what}: ${body.reason}` : what, {});
    return ws;
  }

  /** Active runs of the workspace, most recently started first. */
  activeRuns(id: string): Run[] {
    return this.engine
      .activeJobs()
      .filter((j) => j.spec.workspaceId === id)
      .map((j) => j.currentRun)
      .filter((r): r is Run => r !== null)
      .sort((a, b) => b.started_at - a.started_at);
  }

  status(id: string): WorkspaceStatus {
    return { workspace: this.get(id), active_runs: this.activeRuns(id) };
  }

  latestIncident(id: string): Incident {
    this.get(id);
    const incident = this.store.listIncidents({ workspace_id: id, limit: 1 }).items[0];
    if (!incident) throw notFound(`workspace '${id}' has no incidents`);
    return incident;
  }

  act(id: string, body: WorkspaceActionBody, by: Actor): WorkspaceActionResult {
    const ws = this.get(id);
    if (!ws.protection_enabled)
      throw conflict(`protection is off for workspace '${id}'; turn it on (POST .../protection) before asking FlowForge to ${body.action}`, 'protection-disabled');
    const runId = body.run_id ?? this.activeRuns(id)[0]?.id;
    if (!runId) throw conflict(`workspace '${id}' has no active run to ${body.action}`, 'run-not-active');
    if (body.run_id !== undefined && this.store.getRun(body.run_id)?.workspace_id !== id)
      throw notFound(`no run '${body.run_id}' in workspace '${id}'`);
    const result = body.action === 'kill' ? this.runs.stop(runId, body.reason, by) : this.runs.restart(runId, body.reason, by);
    return { ...result, workspace_id: id, action: body.action };
  }

  private audit(by: Actor, workspaceId: string, action: string, reason: string, details: Record<string, unknown>): void {
    this.engine.recordAudit({ actor: by.principal.actor, action, reason, request_id: by.requestId, run_id: null, workspace_id: workspaceId, details });
  }
}
