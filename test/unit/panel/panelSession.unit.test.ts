// The host half of the incident panel without a browser: validation of what
// the webview sends, the ready handshake and full state, Stop/Restart results,
// and how live backend events are relayed.
import assert from 'node:assert/strict';
import { RESPONSE_OF, type HostToWebview } from '../../../server/shared/protocol/panel';
import { DEFAULT_PANEL_STATE } from '../../../server/shared/protocol/panelDefaults';
import { createLogger } from '../../../server/util/logger';
import { PanelSession } from '../../../src/panel/panelSession';
import { FakeBackend } from '../../webview/harness/fakeBackend';
import { auditEvent, journalRow, makeIncident, makeSamples, T0 } from '../../webview/harness/fixtures';

type Posted<T extends HostToWebview['type']> = Extract<HostToWebview, { type: T }>;

function setup(backend = FakeBackend.scenario({ extra: 3, running: true }), state = DEFAULT_PANEL_STATE) {
  const posted: HostToWebview[] = [];
  const warnings: string[] = [];
  const commands: string[] = [];
  const session = new PanelSession({
    backend,
    state,
    refreshDelayMs: 5,
    logger: createLogger((level, line) => {
      if (level === 'warn') warnings.push(line);
    }, 'debug'),
    host: {
      post: (msg) => {
        posted.push(msg);
        return true;
      },
      runCommand: async (c) => {
        commands.push(c);
      },
      writeClipboard: async () => undefined,
      saveEvidence: async (name: string) => `/chosen/${name}`,
    },
  });
  const of = <T extends HostToWebview['type']>(type: T) => posted.filter((m): m is Posted<T> => m.type === type);
  const ready = (s: unknown = null) => session.handle({ type: 'ready', id: 'r1', params: { state: s } });
  return { session, backend, posted, warnings, commands, of, ready };
}

const tick = (ms = 30) => new Promise((r) => setTimeout(r, ms));

describe('PanelSession', () => {
  it('drops messages that do not fit the protocol, logs why, and calls nothing', async () => {
    const t = setup();
    await t.ready();
    const before = t.backend.calls.length;
    await t.session.handle({ type: 'run/stop', id: 'a', params: { run_id: 'run-1' } });
    await t.session.handle({ type: 'run/stop', id: 'b', params: { run_id: 'run-1', reason: '   ' } });
    await t.session.handle({ type: 'incidents/list', id: 'c', params: { filters: {}, cursor: null, limit: 10_000 } });
    await t.session.handle({ type: 'eval', id: 'd', params: {} });
    await t.session.handle(null);
    assert.equal(t.backend.calls.length, before);
    assert.equal(t.warnings.length, 5);
    assert.match(t.warnings[0] ?? '', /dropped an invalid message.*"type":"run\/stop".*params\.reason/);
  });

  it('answers ready with the full state of the view the webview restored', async () => {
    const t = setup();
    await t.ready({ ...DEFAULT_PANEL_STATE, view: 'incident', incident_id: 'inc-00001', filters: { workspace_id: null, status: 'open', kind: null } });
    const [full] = t.of('state/full');
    assert.ok(full);
    assert.equal(full.params.detail?.incident.id, 'inc-00001');
    assert.equal(full.params.detail?.run?.lifecycle, 'RUNNING');
    assert.ok(full.params.incidents && full.params.incidents.items.every((i) => i.status === 'open'));
    assert.deepEqual(full.params.workspaces.map((w) => w.id), ['ws-app', 'ws-ml']);
    assert.equal(full.params.timeline, null, 'the timeline is loaded only when it is shown');
    assert.equal(full.params.error, null);
  });

  it('lets a navigation made before ready win over the webview state (status-bar click on a closed panel)', async () => {
    const t = setup();
    await t.session.show('inc-00003');
    assert.equal(t.posted.length, 0, 'nothing is posted before the webview is ready');
    await t.ready({ ...DEFAULT_PANEL_STATE, view: 'timeline' });
    assert.equal(t.of('state/full')[0]?.params.state.incident_id, 'inc-00003');
    assert.equal(t.of('state/full')[0]?.params.state.view, 'incident');
  });

  it('falls back to the list with a readable error when the saved incident is gone', async () => {
    const t = setup();
    await t.ready({ ...DEFAULT_PANEL_STATE, view: 'incident', incident_id: 'inc-gone' });
    const full = t.of('state/full')[0];
    assert.equal(full?.params.state.view, 'incidents');
    assert.equal(full?.params.state.incident_id, null);
    assert.match(full?.params.error ?? '', /Incident inc-gone could not be loaded: No incident inc-gone/);
    assert.equal(t.session.currentState.incident_id, null);
  });

  it('sends what it could read, and says what it could not, when the backend is down', async () => {
    const t = setup();
    t.backend.down = 'connect ECONNREFUSED 127.0.0.1:41234';
    await t.ready();
    const full = t.of('state/full')[0];
    assert.equal(full?.params.incidents, null);
    assert.deepEqual(full?.params.workspaces, []);
    assert.equal(
      full?.params.error,
      'The folder list could not be loaded: connect ECONNREFUSED 127.0.0.1:41234. Incidents could not be loaded: connect ECONNREFUSED 127.0.0.1:41234',
    );
  });

  it('maps list requests onto the backend and answers with the request id', async () => {
    const t = setup(FakeBackend.scenario({ extra: 300 }));
    await t.ready();
    const filters = { workspace_id: 'ws-app', status: 'closed' as const, kind: null };
    await t.session.handle({ type: 'incidents/list', id: 'q1', params: { filters, cursor: null, limit: 50 } });
    assert.deepEqual(t.backend.callsTo('listIncidents').at(-1), [{ limit: 50, cursor: null, ...filters }]);
    const page = t.of('incidents/page').at(-1);
    assert.equal(page?.request_id, 'q1');
    assert.equal(page?.params.page.items.length, 50);
    assert.ok(page?.params.page.items.every((i) => i.workspace_id === 'ws-app' && i.status === 'closed'));
    assert.deepEqual(t.session.currentState.filters, filters);
    await t.session.handle({ type: 'incidents/list', id: 'q2', params: { filters, cursor: 'nonsense', limit: 50 } });
    assert.deepEqual(t.of('error').at(-1), { type: 'error', request_id: 'q2', params: { message: 'Invalid cursor "nonsense"' } });
  });

  it('reports Stop/Restart outcomes, and refreshes the drill-down after a stop', async () => {
    const t = setup();
    await t.ready({ ...DEFAULT_PANEL_STATE, view: 'incident', incident_id: 'inc-00001' });
    t.backend.failNextAction = 'restart budget spent; retry in 120 s';
    await t.session.handle({ type: 'run/restart', id: 'x', params: { run_id: 'run-1', reason: 'try again' } });
    assert.deepEqual(t.of('action/result').at(-1)?.params, {
      action: 'run/restart',
      ok: false,
      message: 'Restart failed: restart budget spent; retry in 120 s',
    });
    await t.session.handle({ type: 'run/stop', id: 'y', params: { run_id: 'run-1', reason: 'looping' } });
    assert.equal(t.of('action/result').at(-1)?.params.ok, true);
    assert.deepEqual(t.backend.callsTo('stopRun'), [['run-1', 'looping']]);
    await tick();
    const refreshed = t.of('incident/detail').at(-1);
    assert.equal(refreshed?.request_id, null);
    assert.equal(refreshed?.params.detail.run?.lifecycle, 'STOPPED');
    assert.ok(refreshed?.params.detail.chain.some((e) => e.kind === 'audit' && e.data.actor === 'user'));
  });

  it('answers every request with the response it names, carrying the request id', async () => {
    const t = setup();
    await t.ready();
    const asked = [
      { type: 'incidents/list', id: 'a1', params: { filters: DEFAULT_PANEL_STATE.filters, cursor: null, limit: 5 } },
      { type: 'timeline/list', id: 'a2', params: { kinds: [], workspace_id: null, cursor: null, limit: 5 } },
      { type: 'incident/open', id: 'a3', params: { incident_id: 'inc-00001' } },
      { type: 'run/stop', id: 'a4', params: { run_id: 'run-1', reason: 'looping' } },
    ] as const;
    for (const msg of asked) {
      await t.session.handle(msg);
      const answer = t.posted.find((m) => 'request_id' in m && m.request_id === msg.id);
      assert.equal(answer?.type, RESPONSE_OF[msg.type], msg.type);
    }
  });

  it('runs only the commands the protocol allows', async () => {
    const t = setup();
    await t.ready();
    await t.session.handle({ type: 'command/run', id: 'c1', params: { command: 'runDemo' } });
    await t.session.handle({ type: 'command/run', id: 'c2', params: { command: 'workbench.action.terminal.sendSequence' } });
    assert.deepEqual(t.commands, ['runDemo']);
  });

  it('relays live events: incidents always, samples of the open run only, nothing while hidden', async () => {
    const t = setup();
    await t.ready({ ...DEFAULT_PANEL_STATE, view: 'incident', incident_id: 'inc-00001' });
    const sample = makeSamples('run-1', T0 + 1000, T0 + 1000, 0)[0]!;
    const incidentRow = (n: number) => journalRow(t.backend.nextSeq(), 'incident', makeIncident(n), `incident ${n}`, T0);
    t.backend.emit({ kind: 'sample', data: sample });
    t.backend.emit({ kind: 'sample', data: { ...sample, run_id: 'run-2' } });
    t.backend.emit({ kind: 'incident', data: incidentRow(77) });
    t.backend.emit({ kind: 'audit', data: incidentRow(79) });
    // The row arrives checked (BackendEvents); its record is checked against its kind's schema here.
    t.backend.emit({ kind: 'incident', data: journalRow(t.backend.nextSeq(), 'incident', { id: 'half an incident' } as never, 'half', T0) });
    assert.deepEqual(t.of('sample/append').map((m) => m.params.sample.run_id), ['run-1']);
    assert.deepEqual(t.of('incident/upsert').map((m) => m.params.incident.id), ['inc-00077']);
    t.session.hidden();
    const count = t.posted.length;
    t.backend.emit({ kind: 'incident', data: incidentRow(78) });
    t.backend.emit({ kind: 'sample', data: sample });
    assert.equal(t.posted.length, count, 'a hidden webview gets nothing; its next ready brings the full state');
    await t.session.visible();
    assert.equal(t.posted.length, count, 'hidden means destroyed: only its ready brings it back');
  });

  it('refreshes the open incident when a journal row touches its run', async () => {
    const t = setup();
    await t.ready({ ...DEFAULT_PANEL_STATE, view: 'incident', incident_id: 'inc-00001' });
    const run = t.backend.runs.get('run-1');
    assert.ok(run);
    t.backend.emit({ kind: 'run', data: journalRow(t.backend.nextSeq(), 'run', { ...run, id: 'run-9' }, 'other run', T0) });
    await tick();
    assert.equal(t.of('incident/detail').length, 0, 'another run changes nothing here');
    t.backend.emit({ kind: 'run', data: journalRow(t.backend.nextSeq(), 'run', run, 'this run', T0) });
    t.backend.emit({ kind: 'run', data: journalRow(t.backend.nextSeq(), 'run', run, 'this run again', T0) });
    await tick();
    assert.equal(t.of('incident/detail').length, 1, 'a burst of rows causes one refresh');
    assert.equal(t.of('incident/detail')[0]?.request_id, null);
  });

  it('keeps the open drill-down current from live rows without asking the backend, and reads it again once per reconnect', async () => {
    const t = setup();
    await t.ready({ ...DEFAULT_PANEL_STATE, view: 'incident', incident_id: 'inc-00001' });
    const reads = () => t.backend.callsTo('incidentDetail').length;
    const before = reads();
    const run = t.backend.runs.get('run-1')!;
    const stopped: typeof run = { ...run, lifecycle: 'STOPPED' };
    const row = journalRow(t.backend.nextSeq(), 'run', stopped, 'stopped', T0);
    t.backend.emit({ kind: 'run', data: row });
    t.backend.emit({ kind: 'run', data: row }); // replayed after a reconnect: applied once
    await tick();
    const pushed = t.of('incident/detail').at(-1)?.params.detail;
    assert.equal(pushed?.run?.lifecycle, 'STOPPED');
    assert.equal(pushed?.chain.filter((e) => e.seq === row.seq).length, 1);
    assert.equal(reads(), before, 'live rows cost no request');
    t.session.hidden();
    await t.ready({ ...DEFAULT_PANEL_STATE, view: 'incident', incident_id: 'inc-00001' });
    assert.equal(t.of('state/full').at(-1)?.params.detail?.run?.lifecycle, 'STOPPED', 'the full state carries the held drill-down');
    assert.equal(reads(), before, 'and reads nothing for it');
    t.backend.reconnect();
    await tick();
    assert.equal(reads(), before + 1, 'one read per reconnect');
  });

  it('appends the journal rows of the shown kinds and folder while the timeline is open', async () => {
    const t = setup();
    await t.ready({ ...DEFAULT_PANEL_STATE, view: 'timeline', timeline_kinds: ['audit'], filters: { workspace_id: 'ws-app', status: null, kind: null } });
    assert.ok(t.of('state/full')[0]?.params.timeline, 'the first page comes with the full state');
    const run = t.backend.runs.get('run-1');
    assert.ok(run);
    const audit = auditEvent(t.backend.nextSeq(), run, 'user', 'stop', 'looping', T0).row;
    const elsewhere = { ...auditEvent(t.backend.nextSeq(), run, 'user', 'stop', 'other folder', T0).row, workspace_id: 'ws-ml' };
    const runRow = journalRow(t.backend.nextSeq(), 'run', run, 'run changed', T0);
    for (const row of [audit, elsewhere, runRow]) t.backend.emit({ kind: row.kind, data: row });
    await tick();
    const appended = t.of('timeline/append');
    assert.equal(appended.length, 1, 'rows arriving together go out together');
    assert.deepEqual(appended[0]?.params.events.map((e) => e.seq), [audit.seq]);
  });

  it('stops listening to the backend when disposed', async () => {
    const t = setup();
    await t.ready();
    t.session.dispose();
    const count = t.posted.length;
    t.backend.emit({ kind: 'incident', data: journalRow(t.backend.nextSeq(), 'incident', makeIncident(5), 'incident 5', T0) });
    await t.session.handle({ type: 'incidents/list', id: 'z', params: { filters: DEFAULT_PANEL_STATE.filters, cursor: null, limit: 5 } });
    assert.equal(t.posted.length, count);
  });
});
