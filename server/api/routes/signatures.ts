// Learned signatures over the API: a person (or the editor's panel) says an
// incident was not a runaway, and the signature FlowForge learned from it
// stops alerting and stopping jobs in its scope (see docs/detection.md).
import { AllowIncidentBody, EmptyQuery, IncidentAllowed, IncidentIdParams } from '../../shared/protocol/api';
import { NothingToAllowError } from '../../engine/signatureBook';
import { conflict, notFound } from '../problems';
import { ok } from '../reply';
import { route, type AnyRoute } from '../routeTable';
import type { ApiServices } from '../services';

export function signatureRoutes(s: ApiServices): AnyRoute[] {
  return [
    route({
      method: 'POST',
      path: '/v1/incidents/:id/allow',
      operationId: 'allowIncident',
      summary: 'Not a runaway: the signature learned from this incident no longer alerts or stops jobs in its workspace.',
      description:
        'Every signature the incident taught or confirmed (a loop FlowForge stopped) becomes allowed in its scope, running jobs included from their next tick; ' +
        'an audit row `allow_signature` records who and why. 409 when the incident taught nothing (only loops FlowForge stopped are learned). ' +
        'A submit key may allow only incidents of runs it started. Honours Idempotency-Key.',
      tag: 'evidence',
      access: 'submit',
      params: IncidentIdParams,
      query: EmptyQuery,
      body: AllowIncidentBody,
      bodyOptional: true,
      responses: { 200: { description: 'Allowed.', schema: IncidentAllowed } },
      errors: [404, 409],
      handle: ({ params, body, principal, requestId }) => {
        const incident = s.store.getIncident(params.id);
        // A submit key sees (and so may allow) only incidents of runs it started.
        if (!incident || !s.owners.visible(principal, incident.run_id)) throw notFound(`no incident with id '${params.id}'`);
        try {
          const signatures = s.engine.signatures.allow(params.id, {
            actor: principal!.actor,
            reason: body.reason?.trim() || 'marked not a runaway',
            requestId,
          });
          return ok({ incident_id: params.id, signatures, request_id: requestId });
        } catch (err) {
          if (err instanceof NothingToAllowError) throw conflict(err.message);
          throw err;
        }
      },
    }),
  ];
}
