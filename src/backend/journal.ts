// The record inside a journal event (its `data`), checked against the schema
// of its kind: the one place that turns a TimelineEvent into a typed record.
// The answer is remembered per row, so a row that the status bar, the
// notifications, the panel and a task terminal all read is checked once.
import type { z } from 'zod';
import { AuditEvent, Decision, Incident, LifecycleEvent, Run, type TimelineEvent, type TimelineKind } from '../../server/shared/protocol/domain';

const schemas = { run: Run, decision: Decision, incident: Incident, lifecycle: LifecycleEvent, audit: AuditEvent } as const;

export type RecordOf<K extends TimelineKind> = z.infer<(typeof schemas)[K]>;

const checked = new WeakMap<TimelineEvent, unknown>();

/** The event's record when it is of `kind` and fits the schema; otherwise null. */
export function recordOf<K extends TimelineKind>(e: TimelineEvent, kind: K): RecordOf<K> | null {
  if (e.kind !== kind) return null;
  if (checked.has(e)) return checked.get(e) as RecordOf<K> | null;
  const parsed = schemas[kind].safeParse(e.data);
  const record = parsed.success ? (parsed.data as RecordOf<K>) : null;
  checked.set(e, record);
  return record;
}
