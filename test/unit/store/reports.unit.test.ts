import assert from 'node:assert/strict';
import { formatIncidents, formatTimeline } from '../../../server/store/reports';
import { formatClockTime, formatDuration, fileTimestamp } from '../../../server/store/timeFormat';
import type { TimelineEvent } from '../../../server/shared/protocol/domain';
import { makeIncident, makeRun } from './records';

const NOW = new Date(2026, 10, 21, 15, 0, 0).getTime();
const at = (h: number, m: number, s: number, dayOffset = 0) => new Date(2026, 10, 21 + dayOffset, h, m, s).getTime();

function event(seq: number, t: number, over: Partial<TimelineEvent> = {}): TimelineEvent {
  return { seq, t, kind: 'lifecycle', ref_id: `lc_${seq}`, run_id: 'run_1', incident_id: null, workspace_id: null, request_id: null, summary: `event ${seq}`, data: {}, ...over };
}

describe('store/reports', () => {
  describe('time formatting', () => {
    it('shows the time today and the date on other days', () => {
      assert.equal(formatClockTime(at(9, 5, 7), NOW), '09:05:07');
      assert.equal(formatClockTime(at(23, 59, 1, -1), NOW), '2026-11-20 23:59:01');
    });
    it('shows durations in human units', () => {
      assert.deepEqual([850, 4200, 185_000, 7_800_000, 3 * 86_400_000 + 4 * 3_600_000].map(formatDuration), ['850ms', '4.2s', '3m 05s', '2h 10m', '3d 4h']);
    });
    it('names files with a sortable UTC stamp', () => {
      assert.equal(fileTimestamp(Date.UTC(2026, 0, 2, 3, 4, 5, 678)), '20260102T030405Z');
    });
  });

  describe('formatIncidents', () => {
    const run = makeRun({ name: 'nightly etl' });
    const open = makeIncident(run, { opened_at: at(14, 0, 0), updated_at: at(14, 1, 0), reason: 'CPU pinned at 198% with a retry loop' });
    const shadow = makeIncident(run, { opened_at: at(10, 0, 0, -2), closed_at: at(10, 3, 5, -2), status: 'closed', action: 'continue', intended: 'kill', enforced: false, kind: 'memory_limit' });

    it('prints one row per incident with the facts a person scans for', () => {
      const text = formatIncidents({ items: [open, shadow], next_cursor: null, has_more: false }, { now: NOW });
      const [header, rule, first, second] = text.split('\n');
      assert.match(header!, /^ID\s+OPENED\s+JOB\s+KIND\s+ACTION\s+STATUS\s+LASTED\s+CONF\s+PEAK CPU%\s+PEAK MB\s+REASON$/);
      assert.match(rule!, /^-+/);
      assert.match(first!, new RegExp(`^${open.id}\\s+14:00:00\\s+nightly etl\\s+cpu_loop\\s+kill\\s+open\\s+1h 00m\\s+0\\.92\\s+198\\s+120\\s+CPU pinned`));
      assert.match(second!, /2026-11-19 10:00:00 .*memory_limit\s+continue \(wanted kill\)\s+closed\s+3m 05s/);
    });

    it('says so when there is nothing, and hints at the next page', () => {
      assert.equal(formatIncidents({ items: [], next_cursor: null, has_more: false }, { path: '/x/ff.db' }), 'No incidents recorded in /x/ff.db.');
      assert.match(formatIncidents({ items: [open], next_cursor: 'abc', has_more: true }, { now: NOW }), /\nMore: add --cursor abc$/);
    });

    it('prints the page as JSON with --json', () => {
      const page = { items: [open], next_cursor: null, has_more: false };
      assert.deepEqual(JSON.parse(formatIncidents(page, { json: true })), page);
    });
  });

  describe('formatTimeline', () => {
    it('prints a page of events as a table', () => {
      const text = formatTimeline({ items: [event(2, at(14, 0, 2)), event(1, at(14, 0, 1))], next_cursor: null, has_more: false }, { now: NOW });
      assert.deepEqual(text.split('\n').slice(2), ['  2  14:00:02  lifecycle  run_1  event 2', '  1  14:00:01  lifecycle  run_1  event 1']);
    });

    it("puts an incident's summary above its chain", () => {
      const run = makeRun({ name: 'agent' });
      const inc = makeIncident(run, { opened_at: at(14, 0, 0), evidence: ['retrying 17', 'retrying 18'], templates: ['retrying <n>'] });
      const text = formatTimeline([event(1, at(14, 0, 0), { kind: 'decision', summary: 'kill: CPU loop' })], { now: NOW, incident: inc });
      assert.match(text, new RegExp(`^Incident ${inc.id}: Runaway CPU loop\\n  job        agent \\(run ${run.id}\\)`));
      assert.match(text, /  evidence   retrying 17\n             retrying 18/);
      assert.match(text, /  templates  retrying <n>/);
      assert.match(text, /\n\nSEQ  TIME\s+KIND\s+RUN\s+SUMMARY\n/);
      const json = JSON.parse(formatTimeline([event(1, 1)], { json: true, incident: inc })) as { incident: { id: string }; events: unknown[] };
      assert.equal(json.incident.id, inc.id);
      assert.equal(json.events.length, 1);
    });

    it('says so when there are no events', () => {
      assert.equal(formatTimeline([], {}), 'No events recorded.');
    });
  });
});
