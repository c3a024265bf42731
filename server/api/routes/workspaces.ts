// Integration workspaces: register, unregister, status, protection, latest
// incident, actions. Reads and actions cover that workspace's runs only.
import {
  EmptyQuery,
  LatestIncident,
  ProtectionBody,
  RegisterWorkspaceBody,
  UnregisterWorkspaceBody,
  WorkspaceActionBody,
  WorkspaceActionResult,
  WorkspaceIdParams,
  WorkspaceRegistered,
  WorkspaceResult,
  WorkspaceStatus,
  WorkspaceUnregistered,
} from '../../shared/protocol/api';
import { ok } from '../reply';
import { route, type AnyRoute } from '../routeTable';
import { actorOf, type ApiServices } from '../services';

const BASE = '/v1/integrations/workspaces';

export function workspaceRoutes(s: ApiServices): AnyRoute[] {
  const ws = s.workspaces;
  return [
    route({
      method: 'POST',
      path: `${BASE}/register`,
      operationId: 'registerWorkspace',
      summary: 'Register (or update) a workspace folder; new ones start protected.',
      description: 'Re-registering keeps the protection setting. Honours Idempotency-Key.',
      tag: 'workspaces',
      access: 'admin',
      query: EmptyQuery,
      body: RegisterWorkspaceBody,
      responses: { 200: { description: 'Updated.', schema: WorkspaceRegistered }, 201: { description: 'Registered.', schema: WorkspaceRegistered } },
      handle: (call) => {
        const result = ws.register(call.body, actorOf(call));
        return ok(result, result.created ? 201 : 200);
      },
    }),
    route({
      method: 'DELETE',
      path: `${BASE}/:id`,
      operationId: 'unregisterWorkspace',
      summary: 'Unregister a workspace (its running jobs keep running, protected).',
      tag: 'workspaces',
      access: 'admin',
      params: WorkspaceIdParams,
      query: EmptyQuery,
      body: UnregisterWorkspaceBody,
      bodyOptional: true,
      responses: { 200: { description: 'Unregistered.', schema: WorkspaceUnregistered } },
      errors: [404],
      handle: (call) => {
        ws.unregister(call.params.id, call.body.reason, actorOf(call));
        return ok({ workspace_id: call.params.id, unregistered: true });
      },
    }),
    route({
      method: 'GET',
      path: `${BASE}/:id/status`,
      operationId: 'getWorkspaceStatus',
      summary: 'Protection, profile and the active runs of this workspace.',
      tag: 'workspaces',
      access: 'read',
      params: WorkspaceIdParams,
      query: EmptyQuery,
      responses: { 200: { description: 'Status.', schema: WorkspaceStatus } },
      errors: [404],
      handle: ({ params }) => ok(ws.status(params.id)),
    }),
    route({
      method: 'POST',
      path: `${BASE}/:id/protection`,
      operationId: 'setWorkspaceProtection',
      summary: 'Turn protection on or off; off: runaways of its runs only alert.',
      description: 'Applies at once to running jobs of the workspace. Honours Idempotency-Key.',
      tag: 'workspaces',
      access: 'admin',
      params: WorkspaceIdParams,
      query: EmptyQuery,
      body: ProtectionBody,
      responses: { 200: { description: 'Changed.', schema: WorkspaceResult } },
      errors: [404],
      handle: (call) => ok({ workspace: ws.setProtection(call.params.id, call.body, actorOf(call)) }),
    }),
    route({
      method: 'GET',
      path: `${BASE}/:id/incidents/latest`,
      operationId: 'getWorkspaceLatestIncident',
      summary: "The newest incident of this workspace's runs.",
      tag: 'workspaces',
      access: 'read',
      params: WorkspaceIdParams,
      query: EmptyQuery,
      responses: { 200: { description: 'The incident.', schema: LatestIncident } },
      errors: [404],
      handle: ({ params }) => ok({ incident: ws.latestIncident(params.id) }),
    }),
    route({
      method: 'POST',
      path: `${BASE}/:id/actions`,
      operationId: 'actOnWorkspace',
      summary: 'Kill or restart a run of this workspace (default: its most recent active run).',
      description: '409 while protection is off; a run of another workspace is 404. Honours Idempotency-Key.',
      tag: 'workspaces',
      access: 'admin',
      params: WorkspaceIdParams,
      query: EmptyQuery,
      body: WorkspaceActionBody,
      responses: { 202: { description: 'Stopping or restarting.', schema: WorkspaceActionResult } },
      errors: [404, 409],
      handle: (call) => ok(ws.act(call.params.id, call.body, actorOf(call)), 202),
    }),
  ];
}
