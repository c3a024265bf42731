// The window's single check of live events: what does not fit the shared
// schemas never reaches the status bar, the notifications or the panel.
import * as assert from 'node:assert/strict';
import { checkStreamEvent } from '../../../src/backend/backendEvents';
import { journalRow, makeIncident, makeSamples, T0 } from '../../webview/harness/fixtures';

describe('live events are checked once, where they enter the window', () => {
  it('passes samples and journal rows that fit, typed', () => {
    const sample = makeSamples('run-1', T0, T0, 0)[0]!;
    assert.deepEqual(checkStreamEvent({ event: 'sample', id: null, data: sample }), { kind: 'sample', sample });
    const row = journalRow(7, 'incident', makeIncident(3), 'incident 3', T0);
    assert.deepEqual(checkStreamEvent({ event: 'incident', id: 7, data: row }), { kind: 'journal', row });
  });

  it('drops a malformed sample, a half row, and a row named after another kind', () => {
    assert.equal(checkStreamEvent({ event: 'sample', id: null, data: { run_id: 'run-1' } }), null);
    assert.equal(checkStreamEvent({ event: 'incident', id: 8, data: { id: 'half an incident' } }), null);
    const row = journalRow(9, 'audit', makeIncident(4), 'audit', T0);
    assert.equal(checkStreamEvent({ event: 'incident', id: 9, data: row }), null);
  });
});
