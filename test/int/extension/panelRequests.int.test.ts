// What the incident panel costs the backend, counted by the real API server:
// opening an incident is one request; live journal rows update the open
// drill-down without any; a reconnect of the stream reads it again, once.
// Real engine and job (a runaway over its memory limit), real HTTP and SSE,
// the extension's own client, event stream, panel backend and session.
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ed25519Signer, trustedKeys } from '../../../server/evidence/sign';
import { verifyBundle } from '../../../server/evidence/verify';
import type { HostToWebview } from '../../../server/shared/protocol/panel';
import { createLogger } from '../../../server/util/logger';
import { ApiClient } from '../../../src/backend/apiClient';
import { BackendEvents } from '../../../src/backend/backendEvents';
import type { BackendInfo } from '../../../src/backend/backendProcess';
import { ApiPanelBackend } from '../../../src/backend/panelBackend';
import { PanelSession } from '../../../src/panel/panelSession';
import { waitFor } from '../../helpers/processes';
import { KEYS, startTestApi, type TestApi } from '../api/harness';

const OVER_LIMIT = { command: process.execPath, args: ['-e', 'setInterval(() => {}, 1000)'], cwd: tmpdir(), max_memory_mb: 5, on_runaway: 'alert' };
const logger = createLogger(() => undefined, 'error');

describe('incident panel: API requests against a real backend', function () {
  this.timeout(60_000);
  let api: TestApi;
  let events: BackendEvents;
  let info: BackendInfo;
  // The backend signs evidence with a key of the test's own, never the user's.
  const keyDir = mkdtempSync(join(tmpdir(), 'ff-panel-evidence-'));
  const keyPath = join(keyDir, 'keys', 'evidence-ed25519.pem');

  /** Requests the server has answered so far, per route, the live stream left out. */
  async function requests(): Promise<Map<string, number>> {
    await new Promise((r) => setTimeout(r, 150)); // the server counts a request when its response closes
    const counted = await api.server.api.services.metrics.httpRequests.get();
    const byRoute = new Map<string, number>();
    for (const v of counted.values) {
      const route = `${v.labels.method} ${v.labels.route}`;
      if (v.labels.route !== '/v1/stream') byRoute.set(route, (byRoute.get(route) ?? 0) + v.value);
    }
    return byRoute;
  }
  const since = (before: Map<string, number>, after: Map<string, number>) =>
    Object.fromEntries([...after].filter(([k, n]) => n !== (before.get(k) ?? 0)).map(([k, n]) => [k, n - (before.get(k) ?? 0)]));

  before(async () => {
    api = await startTestApi({ api: { evidenceSigner: () => ed25519Signer(keyPath) } });
    const endpoint = async () => ({ url: api.server.url, key: KEYS.admin });
    events = new BackendEvents(endpoint, logger);
    info = { url: api.server.url, port: api.port, pid: process.pid, storePath: ':memory:', generation: 1 } as BackendInfo;
    events.attach(info);
  });
  after(async () => {
    events?.dispose();
    await api?.close();
    rmSync(keyDir, { recursive: true, force: true });
  });

  it('opening an incident costs one request, live rows none, a stream reconnect exactly one', async () => {
    const started = await api.post('/v1/runs', OVER_LIMIT);
    const runId = started.json.run.id as string;
    const incidentId = await waitFor(async () => (await api.get(`/v1/incidents?run_id=${runId}`)).json.items[0]?.id as string | undefined, 15_000).then((id) => id!);
    let opens = 0;
    events.on('open', () => opens++);
    const client = new ApiClient(async () => ({ url: api.server.url, key: KEYS.admin }));
    const posted: HostToWebview[] = [];
    const session = new PanelSession({
      backend: new ApiPanelBackend(client, events, { folders: () => [] }),
      host: { post: (m) => (posted.push(m), true), runCommand: async () => undefined, writeClipboard: async () => undefined, saveEvidence: async () => null },
      logger,
      refreshDelayMs: 20,
    });
    const details = () => posted.filter((m): m is Extract<HostToWebview, { type: 'incident/detail' }> => m.type === 'incident/detail');
    try {
      await session.handle({ type: 'ready', id: 'r1', params: { state: null } });

      const beforeOpen = await requests();
      await session.handle({ type: 'incident/open', id: 'o1', params: { incident_id: incidentId } });
      const opened = details().at(-1);
      assert.equal(opened?.request_id, 'o1');
      assert.equal(opened?.params.detail.incident.id, incidentId);
      assert.ok(opened?.params.detail.samples.length, 'the drill-down comes with the run’s samples');
      assert.deepEqual(since(beforeOpen, await requests()), { 'GET /v1/incidents/:id': 1 }, 'opening costs one request');

      // The job is stopped from elsewhere: its journal rows reach the open drill-down over the stream.
      const beforeRows = await requests();
      await api.post('/v1/process/kill', { run_id: runId, reason: 'test: stop from elsewhere' });
      await waitFor(() => details().at(-1)?.params.detail.run?.ended_at != null, 15_000);
      const updated = details().at(-1)!.params.detail;
      assert.equal(updated.run?.lifecycle, 'STOPPED');
      assert.ok(updated.chain.some((e) => e.kind === 'audit' && (e.data as { reason?: string }).reason === 'test: stop from elsewhere'));
      const counted = since(beforeRows, await requests());
      delete counted['POST /v1/process/kill']; // the test's own
      assert.deepEqual(counted, {}, 'live rows cost the panel no request');

      // The stream drops and comes back (a backend restart with the same store reconnects it).
      const beforeReconnect = await requests();
      const detailsBefore = details().length;
      const opensBefore = opens;
      events.attach(info);
      await waitFor(() => opens > opensBefore && details().length > detailsBefore, 15_000);
      await new Promise((r) => setTimeout(r, 300)); // time for a second, unwanted read to show
      assert.deepEqual(since(beforeReconnect, await requests()), { 'GET /v1/incidents/:id': 1 }, 'one read per reconnect');
      assert.equal(details().at(-1)?.request_id, null);
      assert.equal(details().at(-1)?.params.detail.run?.lifecycle, 'STOPPED');
    } finally {
      session.dispose();
    }
  });

  it('Export evidence: one request to the API, the files written where the host chose, and they verify', async () => {
    const started = await api.post('/v1/runs', OVER_LIMIT);
    const runId = started.json.run.id as string;
    const incidentId = await waitFor(async () => (await api.get(`/v1/incidents?run_id=${runId}`)).json.items[0]?.id as string | undefined, 15_000).then((id) => id!);
    const client = new ApiClient(async () => ({ url: api.server.url, key: KEYS.admin }));
    const posted: HostToWebview[] = [];
    const chosen = join(keyDir, 'chosen');
    const session = new PanelSession({
      backend: new ApiPanelBackend(client, events, { folders: () => [] }),
      host: {
        post: (m) => (posted.push(m), true),
        runCommand: async () => undefined,
        writeClipboard: async () => undefined,
        // What the editor's host does after its save dialog (src/panel/saveEvidence.ts), without the dialog.
        saveEvidence: async (name, files) => {
          const dir = join(chosen, name);
          mkdirSync(dir, { recursive: true });
          for (const f of files) writeFileSync(join(dir, f.name), f.content);
          return dir;
        },
      },
      logger,
      refreshDelayMs: 20,
    });
    try {
      await session.handle({ type: 'ready', id: 'r1', params: { state: null } });
      const before = await requests();
      await session.handle({ type: 'incident/export', id: 'x1', params: { incident_id: incidentId } });
      const result = posted.find((m): m is Extract<HostToWebview, { type: 'action/result' }> => m.type === 'action/result' && m.request_id === 'x1');
      assert.equal(result?.params.ok, true, JSON.stringify(result));
      const dir = join(chosen, `flowforge-evidence-${incidentId}`);
      assert.match(result!.params.message, new RegExp(`^Evidence exported to ${dir} \\(8 files, signed with ed25519 key [0-9a-f]{16}\\)\\. Check it with: flowforge evidence verify "`));
      assert.deepEqual(since(before, await requests()), { 'GET /v1/incidents/:id/evidence': 1 });
      assert.equal(readdirSync(dir).length, 8);
      const report = verifyBundle(dir, trustedKeys({ ownKeyPath: keyPath }));
      assert.deepEqual(report.problems, []);
    } finally {
      session.dispose();
    }
  });
});
