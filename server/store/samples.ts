// Samples arrive every second per running job, so a run's history is kept at
// falling resolution: full resolution for its last minutes, then coarser
// buckets the further back it goes; except around interventions, where the
// incident drill-down needs the curves at full resolution for as long as the
// evidence is kept. A coarse sample holds the peak of every gauge over its
// bucket and the total of the counters (lines, bytes): both compose, so folding
// coarse samples again gives the same answer as folding the raw ones, and a
// runaway's peaks are never averaged away.
import type { Sample } from '../shared/protocol/domain';
import type { Row, SqlDb } from './sqlDb';

interface Tier {
  tier: number;
  /** Samples older than this (counted back from the run's newest sample) move into this tier. */
  olderThanMs: number;
  bucketMs: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export const SAMPLE_TIERS: readonly Tier[] = [
  { tier: 1, olderThanMs: 15 * MINUTE, bucketMs: MINUTE },
  { tier: 2, olderThanMs: 6 * HOUR, bucketMs: 5 * MINUTE },
];

/** Full resolution is kept from this long before an intervention until this long after it. */
export const PROTECT_BEFORE_MS = 10 * MINUTE;
export const PROTECT_AFTER_MS = 5 * MINUTE;

export const INSERT_SAMPLE = `INSERT OR REPLACE INTO samples (run_id, t, tier, cpu, rss, procs, lines, bytes, repetition, novelty, rate, silence)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

export function sampleParams(s: Sample, tier = 0): (string | number | null)[] {
  return [s.run_id, Math.round(s.t), tier, s.cpu_percent, s.rss_mb, s.procs, s.lines, s.bytes, s.repetition, s.novelty, s.rate, s.silence_s];
}

export function sampleFromRow(runId: string, r: Row): Sample {
  return {
    run_id: runId,
    t: Number(r.t),
    cpu_percent: r.cpu === null ? null : Number(r.cpu),
    rss_mb: Number(r.rss),
    procs: Number(r.procs),
    lines: Number(r.lines),
    bytes: Number(r.bytes),
    repetition: Number(r.repetition),
    novelty: Number(r.novelty),
    rate: Number(r.rate),
    silence_s: Number(r.silence),
  };
}

/** Peaks of the gauges and totals of the counters, at the bucket's start. */
function fold(bucketStart: number, samples: Sample[]): Sample {
  const peak = (pick: (s: Sample) => number) => Math.max(...samples.map(pick));
  const cpus = samples.map((s) => s.cpu_percent).filter((c): c is number => c !== null);
  return {
    run_id: samples[0]!.run_id,
    t: bucketStart,
    cpu_percent: cpus.length ? Math.max(...cpus) : null,
    rss_mb: peak((s) => s.rss_mb),
    procs: peak((s) => s.procs),
    lines: samples.reduce((n, s) => n + s.lines, 0),
    bytes: samples.reduce((n, s) => n + s.bytes, 0),
    repetition: peak((s) => s.repetition),
    novelty: peak((s) => s.novelty),
    rate: peak((s) => s.rate),
    silence_s: peak((s) => s.silence_s),
  };
}

/** When the run's interventions happened: decisions that acted or wanted to, and decisions tied to an incident. */
function interventionTimes(db: SqlDb, runId: string): number[] {
  return db
    .all(
      `SELECT d.t FROM journal j JOIN decisions d ON d.seq = j.seq
       WHERE j.run_id = ? AND j.kind = 'decision' AND (d.action <> 'continue'
         OR json_extract(d.json, '$.intended') <> 'continue' OR json_extract(d.json, '$.incident_id') IS NOT NULL)`,
      [runId],
    )
    .map((r) => Number(r.t));
}

/**
 * Folds one run's samples into coarser tiers. `progress[i]` is how far tier i
 * has been folded already (kept by the caller, so a pass reads only new rows).
 * Returns how many rows it removed.
 */
export function compactRunSamples(db: SqlDb, runId: string, newestT: number, progress: number[]): number {
  let removed = 0;
  let protectedTimes: number[] | null = null;
  SAMPLE_TIERS.forEach((tier, i) => {
    const cutoff = Math.floor((newestT - tier.olderThanMs) / tier.bucketMs) * tier.bucketMs;
    const from = progress[i] ?? 0;
    if (cutoff <= from) return;
    progress[i] = cutoff;
    const rows = db.all('SELECT * FROM samples WHERE run_id = ? AND t >= ? AND t < ? AND tier < ? ORDER BY t', [runId, from, cutoff, tier.tier]);
    if (rows.length === 0) return;
    protectedTimes ??= interventionTimes(db, runId);
    const buckets = new Map<number, Sample[]>();
    for (const r of rows) {
      const start = Math.floor(Number(r.t) / tier.bucketMs) * tier.bucketMs;
      const bucket = buckets.get(start) ?? [];
      bucket.push(sampleFromRow(runId, r));
      buckets.set(start, bucket);
    }
    for (const [start, samples] of buckets) {
      const end = start + tier.bucketMs;
      if (protectedTimes.some((t) => start < t + PROTECT_AFTER_MS && end > t - PROTECT_BEFORE_MS)) continue;
      removed += db.run('DELETE FROM samples WHERE run_id = ? AND t >= ? AND t < ? AND tier < ?', [runId, start, end, tier.tier]);
      db.run(INSERT_SAMPLE, sampleParams(fold(start, samples), tier.tier));
      removed--;
    }
  });
  return removed;
}

/** Drops a run's oldest samples beyond `cap`; returns how many. */
export function capRunSamples(db: SqlDb, runId: string, cap: number): number {
  if (!Number.isFinite(cap)) return 0;
  const lastKept = db.value('SELECT t FROM samples WHERE run_id = ? ORDER BY t DESC LIMIT 1 OFFSET ?', [runId, cap - 1]);
  if (lastKept === undefined) return 0;
  return db.run('DELETE FROM samples WHERE run_id = ? AND t < ?', [runId, lastKept]);
}
