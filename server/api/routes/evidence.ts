// One incident's signed evidence bundle, for the editor to write where the
// person chose. The API never writes a bundle itself: a request must not name
// a path on this machine.
import { EvidenceBundle, IncidentIdParams } from '../../shared/protocol/api';
import { buildBundle, collectEvidence, sha256Hex } from '../../evidence/bundle';
import { UsageError } from '../../util/args';
import { ApiProblem, notFound } from '../problems';
import { ok } from '../reply';
import { route, type AnyRoute } from '../routeTable';
import type { ApiServices } from '../services';

export function evidenceRoutes(s: ApiServices): AnyRoute[] {
  return [
    route({
      method: 'GET',
      path: '/v1/incidents/:id/evidence',
      operationId: 'getIncidentEvidence',
      summary: 'One incident’s signed evidence bundle: its files, manifest.json and signature.json.',
      description:
        'The same bundle `flowforge evidence export` writes (the incident, every incident of its job, their runs, timeline, decisions and samples, redacted), returned as file contents for the client to write into a folder of its choice; `flowforge evidence verify` checks it. Signed with the backend user’s key.',
      tag: 'evidence',
      access: 'own',
      params: IncidentIdParams,
      responses: { 200: { description: 'The bundle’s files.', schema: EvidenceBundle } },
      errors: [404, 503],
      handle: ({ params, principal }) => {
        const incident = s.store.getIncident(params.id);
        if (!incident || !s.owners.visible(principal, incident.run_id)) throw notFound(`no incident with id '${params.id}'`);
        const signer = signerOrProblem(s);
        const files = buildBundle(collectEvidence(s.store, params.id)!, signer, s.clock.now());
        return ok({
          incident_id: params.id,
          algorithm: signer.algorithm,
          key_id: signer.keyId,
          files: files.map((f) => ({ name: f.name, content: f.bytes.toString('utf8'), sha256: sha256Hex(f.bytes), bytes: f.bytes.length })),
        });
      },
    }),
  ];
}

/** A signing key FlowForge must refuse (readable by others, not a key) is the backend's problem to fix, said plainly. */
function signerOrProblem(s: ApiServices) {
  try {
    return s.evidenceSigner();
  } catch (err) {
    if (err instanceof UsageError) throw new ApiProblem(503, 'unavailable', `cannot sign evidence: ${err.message}`);
    throw err;
  }
}
