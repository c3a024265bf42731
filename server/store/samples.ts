// Samples arrive every second per running job, so a run's history is kept at
// falling resolution: full resolution for its last minutes, then coarser
// buckets the further back it goes. A coarse sample holds the peak of every
// gauge over its bucket and the total of the counters (lines, bytes), which
// compose: folding coarse samples again gives the same answer as folding the
// raw ones, and a runaway's peaks are never averaged away.
import type { Sample } from '../protocol/domain';
import type { Row, SqlDb } from './sqlDb';

interface Tier {
  tier: number;
  /** Samples older than this (measured back from the run's newest sample) move into this tier. */
  olderThanMs: number;
  bucketMs: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export const SAMPLE_TIERS: readonly Tier[] = [
  { tier: 1, olderThanMs: 15 * MINUTE, bucketMs: 10_000 },
  { tier: 2, olderThanMs: 6 * HOUR, bucketMs: MINUTE },
  { tier: 3, olderThanMs: 24 * HOUR, bucketMs: 5 * MINUTE },
];

export const SAMPLE_COLUMNS = 'run_id, t, tier, cpu, rss, procs, lines, bytes, repetition, novelty, rate, silence';
export const INSERT_SAMPLE = `INSERT OR REPLACE INTO samples (${SAMPLE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

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

const FOLD = `
  SELECT (t / ?) * ? AS t, max(cpu) AS cpu, max(rss) AS rss, max(procs) AS procs, sum(lines) AS lines,
         sum(bytes) AS bytes, max(repetition) AS repetition, max(novelty) AS novelty, max(rate) AS rate,
         max(silence) AS silence
  FROM samples WHERE run_id = ? AND t >= ? AND t < ? AND tier < ? GROUP BY 1`;

/**
 * Folds one run's samples into coarser tiers. `progress[i]` is how far tier i
 * has been folded already (kept by the caller so each pass only reads new rows).
 * Returns how many rows it removed.
 */
export function compactRunSamples(db: SqlDb, runId: string, newestT: number, progress: number[]): number {
  let removed = 0;
  SAMPLE_TIERS.forEach((tier, i) => {
    const cutoff = Math.floor((newestT - tier.olderThanMs) / tier.bucketMs) * tier.bucketMs;
    const from = progress[i] ?? 0;
    if (cutoff <= from) return;
    const folded = db.all(FOLD, [tier.bucketMs, tier.bucketMs, runId, from, cutoff, tier.tier]);
    removed += db.run('DELETE FROM samples WHERE run_id = ? AND t >= ? AND t < ? AND tier < ?', [runId, from, cutoff, tier.tier]);
    for (const r of folded) db.run(INSERT_SAMPLE, sampleParams(sampleFromRow(runId, r), tier.tier));
    removed -= folded.length;
    progress[i] = cutoff;
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
