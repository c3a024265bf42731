// What `flowforge incidents` and `flowforge timeline` print: plain tables
// (or JSON with --json). The CLI reads the store and hands the results here.
import type { Incident, TimelineEvent } from '../shared/protocol/domain';
import { renderTable, type Column } from '../util/table';
import { formatClockTime, formatDuration } from './timeFormat';
import type { Page } from './types';

export interface ReportOptions {
  json?: boolean;
  /** "Now" for deciding whether to show dates and how long open incidents have lasted. */
  now?: number;
  /** The store the rows came from, named when there is nothing to show. */
  path?: string | null;
}

const json = (value: unknown) => JSON.stringify(value, null, 2);
const from = (path: string | null | undefined) => (path ? ` in ${path}` : '');

function moreHint(page: { has_more: boolean; next_cursor: string | null }): string {
  return page.has_more && page.next_cursor ? `\nMore: add --cursor ${page.next_cursor}` : '';
}

function actionText(i: Incident): string {
  return i.enforced || i.action === i.intended ? i.action : `${i.action} (wanted ${i.intended})`;
}

function lasted(i: Incident, now: number): string {
  return formatDuration((i.closed_at ?? now) - i.opened_at);
}

export function formatIncidents(page: Page<Incident>, opts: ReportOptions = {}): string {
  if (opts.json) return json(page);
  if (page.items.length === 0) return `No incidents recorded${from(opts.path)}.`;
  const now = opts.now ?? Date.now();
  const columns: Column<Incident>[] = [
    { title: 'ID', value: (i) => i.id },
    { title: 'OPENED', value: (i) => formatClockTime(i.opened_at, now) },
    { title: 'JOB', value: (i) => i.name, max: 28 },
    { title: 'KIND', value: (i) => i.kind },
    { title: 'ACTION', value: actionText },
    { title: 'STATUS', value: (i) => i.status },
    { title: 'LASTED', value: (i) => lasted(i, now), align: 'right' },
    { title: 'CONF', value: (i) => i.confidence.toFixed(2), align: 'right' },
    { title: 'PEAK CPU%', value: (i) => Math.round(i.peak_cpu_percent), align: 'right' },
    { title: 'PEAK MB', value: (i) => Math.round(i.peak_rss_mb), align: 'right' },
    { title: 'REASON', value: (i) => i.reason, max: 60 },
  ];
  return renderTable(page.items, columns) + moreHint(page);
}

function incidentHeader(i: Incident, now: number): string {
  const field = (name: string, value: string) => `  ${name.padEnd(10)} ${value}`;
  const lines = [
    `Incident ${i.id}: ${i.title}`,
    field('job', `${i.name} (run ${i.run_id})`),
    field('kind', `${i.kind}, ${i.status}, opened ${formatClockTime(i.opened_at, now)}, lasted ${lasted(i, now)}`),
    field('action', `${actionText(i)}${i.enforced ? '' : ' (not enforced)'} by ${i.actor}, confidence ${i.confidence.toFixed(2)}`),
    field('rules', i.rules.join(', ') || '-'),
    field('peaks', `CPU ${Math.round(i.peak_cpu_percent)}%, memory ${Math.round(i.peak_rss_mb)} MB, ${i.decision_count} decision(s)`),
    field('reason', i.reason),
  ];
  i.templates.forEach((t, n) => lines.push(field(n === 0 ? 'templates' : '', t)));
  i.evidence.forEach((e, n) => lines.push(field(n === 0 ? 'evidence' : '', e)));
  return lines.join('\n');
}

/**
 * The timeline as a table, newest first for a page, oldest first for an
 * incident's chain (an array), with the incident's summary above it when given.
 */
export function formatTimeline(
  events: Page<TimelineEvent> | TimelineEvent[],
  opts: ReportOptions & { incident?: Incident | null } = {},
): string {
  const page = Array.isArray(events) ? null : events;
  const items = page ? page.items : (events as TimelineEvent[]);
  if (opts.json) return json(opts.incident !== undefined ? { incident: opts.incident, events: items } : (page ?? items));
  const now = opts.now ?? Date.now();
  const columns: Column<TimelineEvent>[] = [
    { title: 'SEQ', value: (e) => e.seq, align: 'right' },
    { title: 'TIME', value: (e) => formatClockTime(e.t, now) },
    { title: 'KIND', value: (e) => e.kind },
    { title: 'RUN', value: (e) => e.run_id },
    { title: 'SUMMARY', value: (e) => e.summary, max: 100 },
  ];
  const header = opts.incident ? `${incidentHeader(opts.incident, now)}\n\n` : '';
  const body = items.length ? renderTable(items, columns) : `No events recorded${from(opts.path)}.`;
  return header + body + (page ? moreHint(page) : '');
}
