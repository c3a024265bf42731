import assert from 'node:assert/strict';
import { FakeClock } from '../../../server/util/clock';
import { openStore, type SqlEvidenceStore } from '../../../server/store';
import { COMPACT_EVERY_MS, RETAIN_EVERY_MS } from '../../../server/store/sqlStore';
import { keepAfterTrim } from '../../../server/store/retention';
import type { RetentionSettings } from '../../../server/store/types';
import { makeAudit, makeDecision, makeIncident, makeLifecycle, makeRun, makeSample } from './records';

const DAY = 86_400_000;
const MIN = 60_000;

async function storeWith(clock: FakeClock, retention: Partial<RetentionSettings> = {}): Promise<SqlEvidenceStore> {
  return (await openStore({ path: null, clock, retention })).store;
}

/** Feeds one sample per second for `seconds`, moving the clock with it (timers fire as in real life). */
function feed(store: SqlEvidenceStore, clock: FakeClock, runId: string, seconds: number, over: (i: number) => object = () => ({})): void {
  for (let i = 0; i < seconds; i++) {
    clock.advance(1000);
    store.addSample(makeSample(runId, clock.now(), over(i)));
  }
}

describe('store/samples downsampling', function () {
  // Feeds hours of 1 s samples through the real store; slow on a busy machine.
  this.timeout(60_000);
  it('keeps the last 15 minutes at 1 s and folds older samples into 1 min buckets, keeping peaks and totals', async () => {
    const clock = new FakeClock(1_700_000_000_000);
    const store = await storeWith(clock);
    const run = makeRun();
    const spikeAt = 600; // ten minutes in: long folded by the end
    feed(store, clock, run.id, 7200, (i) => ({ cpu_percent: i === spikeAt ? 400 : 50, lines: 3 }));
    store.maintain();
    const samples = store.samples(run.id);
    const newest = samples[samples.length - 1]!.t;
    const recent = samples.filter((s) => s.t > newest - 15 * MIN);
    assert.ok(recent.length >= 840 && recent.length <= 960, `recent ${recent.length}`);
    assert.ok(recent.every((s, i) => i === 0 || s.t - recent[i - 1]!.t === 1000), 'recent samples at 1 s');
    const old = samples.filter((s) => s.t < newest - 16 * MIN);
    assert.ok(old.length > 90 && old.every((s) => s.t % MIN === 0), 'older samples sit on 1 min buckets');
    assert.ok(samples.length < 7200 / 60 + 1000, `folded to ${samples.length} rows`);
    assert.equal(Math.max(...samples.map((s) => s.cpu_percent ?? 0)), 400, 'the spike survives folding');
    assert.equal(samples.reduce((n, s) => n + s.lines, 0), 7200 * 3, 'line counts add up');
    await store.close();
  });

  it('folds hours back into 5 min buckets', async () => {
    const clock = new FakeClock(1_700_000_000_000);
    const store = await storeWith(clock);
    const run = makeRun();
    feed(store, clock, run.id, 86_400);
    store.maintain();
    const samples = store.samples(run.id);
    const newest = samples[samples.length - 1]!.t;
    assert.equal(newest, clock.now(), 'the newest sample is kept');
    const hoursBack = samples.filter((s) => s.t < newest - 7 * 60 * MIN);
    assert.ok(hoursBack.length > 150 && hoursBack.every((s) => s.t % (5 * MIN) === 0), 'hours back: 5 min buckets');
    const earlier = samples.filter((s) => s.t < newest - 20 * MIN && s.t > newest - 5 * 60 * MIN);
    assert.ok(earlier.length > 200 && earlier.every((s) => s.t % MIN === 0), 'within 6 h: 1 min buckets');
    assert.ok(samples.length < 1600, `${samples.length} rows for a day`);
    await store.close();
  });

  it('keeps full resolution around interventions', async () => {
    const clock = new FakeClock(1_700_000_000_000);
    const store = await storeWith(clock);
    const run = makeRun();
    store.upsertRun(run);
    feed(store, clock, run.id, 3600);
    const alertAt = clock.now();
    store.addDecision(makeDecision(run, { t: alertAt, action: 'alert', intended: 'alert' }));
    store.addDecision(makeDecision(run, { t: alertAt - 30 * MIN, action: 'continue', intended: 'continue' }));
    feed(store, clock, run.id, 3 * 3600);
    store.maintain();
    const around = store.samples(run.id, { from: alertAt - 10 * MIN, to: alertAt + 5 * MIN });
    assert.equal(around.length, 15 * 60 + 1, 'every second from 10 min before to 5 min after');
    const routine = store.samples(run.id, { from: alertAt - 40 * MIN, to: alertAt - 20 * MIN });
    assert.ok(routine.length <= 21, 'a routine decision protects nothing');
    await store.close();
  });

  it('caps the rows of one run, keeping the newest', async () => {
    const clock = new FakeClock(1_700_000_000_000);
    const store = await storeWith(clock, { maxSamplesPerRun: 500 });
    const run = makeRun();
    feed(store, clock, run.id, 3600);
    store.maintain();
    const samples = store.samples(run.id);
    assert.equal(samples.length, 500);
    assert.equal(samples[samples.length - 1]!.t, clock.now());
    await store.close();
  });

  it('folds on its own timer while samples arrive', async () => {
    const clock = new FakeClock(1_700_000_000_000);
    const store = await storeWith(clock);
    const run = makeRun();
    feed(store, clock, run.id, 3600 + COMPACT_EVERY_MS / 1000);
    assert.ok(store.stats().rows.samples < 2000, `${store.stats().rows.samples} rows without calling maintain()`);
    await store.close();
  });
});

describe('store/retention', () => {
  it('drops records older than maxAgeDays, with their journal rows, and keeps the rest', async () => {
    const clock = new FakeClock(1_700_000_000_000);
    const store = await storeWith(clock, { maxAgeDays: 30 });
    const old = makeRun({ started_at: clock.now(), ended_at: clock.now() + 1000 });
    store.upsertRun(old, { summary: 'old run' });
    const oldDecision = makeDecision(old, { t: clock.now() });
    store.addDecision(oldDecision);
    store.upsertIncident(makeIncident(old, { opened_at: clock.now(), updated_at: clock.now() }));
    store.addSample(makeSample(old.id, clock.now()));
    clock.advance(31 * DAY);
    const active = makeRun({ started_at: clock.now() - 40 * DAY });
    store.upsertRun(active);
    const fresh = makeDecision(active, { t: clock.now() });
    store.addDecision(fresh);
    store.addLifecycle(makeLifecycle(active, { t: clock.now() }));
    const report = store.maintain(true)!;
    assert.equal(report.runs, 1);
    assert.equal(store.getRun(old.id), null);
    assert.ok(store.getRun(active.id), 'a running job is never dropped, however old');
    assert.equal(store.getDecision(oldDecision.id), null);
    assert.ok(store.getDecision(fresh.id));
    assert.equal(store.listIncidents({ limit: 10 }).items.length, 0);
    assert.deepEqual(store.samples(old.id), []);
    assert.deepEqual(store.timeline({ limit: 10 }).items.map((e) => e.kind), ['lifecycle', 'decision']);
    await store.close();
  });

  it('trims a table over its cap to 90% of it (a low-water mark, so trimming is rare)', () => {
    assert.equal(keepAfterTrim(10), 9);
    assert.equal(keepAfterTrim(200_000), 180_000);
    assert.equal(keepAfterTrim(1), 1);
  });

  it('caps each record table, newest kept, and trims the journal rows of that kind only', async () => {
    const clock = new FakeClock(1_700_000_000_000);
    const store = await storeWith(clock, { maxDecisions: 10, maxAuditEvents: 3 });
    const run = makeRun();
    store.upsertRun(run);
    const decisions = Array.from({ length: 25 }, () => makeDecision(run, { t: clock.now() }));
    for (const d of decisions) {
      store.addDecision(d);
      store.addLifecycle(makeLifecycle(run, { t: clock.now() }));
    }
    for (let i = 0; i < 5; i++) store.addAudit(makeAudit({ t: clock.now() }));
    store.maintain(true);
    const rows = store.stats().rows;
    assert.equal(rows.decisions, keepAfterTrim(10));
    assert.equal(rows.audit, keepAfterTrim(3));
    assert.equal(rows.lifecycle, 25);
    assert.equal(rows.journal, keepAfterTrim(10) + keepAfterTrim(3) + 25);
    assert.deepEqual(store.decisionsForRun(run.id, 100).map((d) => d.id), decisions.slice(25 - keepAfterTrim(10)).map((d) => d.id));
    const timeline = store.timeline({ limit: 500 }).items;
    assert.ok(timeline.every((e) => Object.keys(e.data).length > 0), 'no journal row lost its record');
    await store.close();
  });

  it('caps the journal as a whole, and finished runs and incidents by count', async () => {
    const clock = new FakeClock(1_700_000_000_000);
    const store = await storeWith(clock, { maxJournalRows: 20, maxRuns: 3, maxIncidents: 2 });
    const runs = Array.from({ length: 6 }, (_, i) => makeRun({ started_at: clock.now() + i, ended_at: i < 5 ? clock.now() + 10 : null }));
    for (const r of runs) {
      store.upsertRun(r);
      store.upsertIncident(makeIncident(r, { opened_at: r.started_at }));
      for (let i = 0; i < 5; i++) store.addLifecycle(makeLifecycle(r, { t: clock.now() }));
    }
    store.maintain(true);
    const rows = store.stats().rows;
    assert.equal(rows.journal, keepAfterTrim(20));
    assert.equal(rows.lifecycle, keepAfterTrim(20));
    // Two finished runs stay (90% of 3), and the running one, which is never dropped.
    assert.deepEqual(store.listRuns({ limit: 10 }).items.map((r) => r.id), [runs[5]!.id, runs[4]!.id, runs[3]!.id]);
    assert.deepEqual(store.listIncidents({ limit: 10 }).items.map((i) => i.run_id), [runs[5]!.id]);
    await store.close();
  });

  it('caps samples across runs, dropping the runs with the oldest samples first', async () => {
    const clock = new FakeClock(1_700_000_000_000);
    const store = await storeWith(clock, { maxSamples: 250 });
    const runs = [makeRun(), makeRun(), makeRun()];
    for (const r of runs) feed(store, clock, r.id, 100);
    store.maintain(true);
    assert.deepEqual(runs.map((r) => store.samples(r.id).length), [0, 100, 100]);
    await store.close();
  });

  it('drops routine continue decisions after their shorter age limit, keeping interventions and held-back ones', async () => {
    const clock = new FakeClock(1_700_000_000_000);
    const store = await storeWith(clock, { maxContinueDecisionAgeHours: 72 });
    const run = makeRun();
    store.upsertRun(run);
    const routine = makeDecision(run, { t: clock.now(), action: 'continue', intended: 'continue' });
    const kill = makeDecision(run, { t: clock.now(), action: 'kill', intended: 'kill' });
    const shadow = makeDecision(run, { t: clock.now(), action: 'continue', intended: 'kill', rollout: 'shadow', enforced: false });
    const linked = makeDecision(run, { t: clock.now(), action: 'continue', intended: 'continue', incident_id: 'inc_1' });
    for (const d of [routine, kill, shadow, linked]) store.addDecision(d);
    clock.advance(71 * 3_600_000);
    const recent = makeDecision(run, { t: clock.now(), action: 'continue', intended: 'continue' });
    store.addDecision(recent);
    store.maintain(true);
    assert.ok(store.getDecision(routine.id), 'not old enough yet');
    clock.advance(2 * 3_600_000);
    store.maintain(true);
    assert.equal(store.getDecision(routine.id), null);
    for (const d of [kill, shadow, linked, recent]) assert.ok(store.getDecision(d.id), d.id);
    assert.equal(store.timeline({ limit: 10, kinds: ['decision'] }).items.length, 4);
    await store.close();
  });

  it('expires idempotency records by age', async () => {
    const clock = new FakeClock(1_700_000_000_000);
    const store = await storeWith(clock);
    store.putIdempotency({ key: 'k', endpoint: 'POST /v1/runs', request_hash: 'h', status: 201, body: '{}', content_type: 'application/json', created_at: clock.now() });
    clock.advance(23 * 3_600_000);
    store.maintain(true);
    assert.equal(store.stats().rows.idempotency, 1);
    clock.advance(2 * 3_600_000);
    store.maintain(true);
    assert.equal(store.stats().rows.idempotency, 0);
    await store.close();
  });

  it('runs by itself every few minutes while the store is written', async () => {
    const clock = new FakeClock(1_700_000_000_000);
    const store = await storeWith(clock, { maxDecisions: 5 });
    const run = makeRun();
    for (let i = 0; i < 20; i++) store.addDecision(makeDecision(run, { t: clock.now() }));
    assert.equal(store.stats().rows.decisions, 20);
    clock.advance(RETAIN_EVERY_MS + COMPACT_EVERY_MS);
    store.addDecision(makeDecision(run, { t: clock.now() }));
    clock.advance(COMPACT_EVERY_MS);
    assert.equal(store.stats().rows.decisions, keepAfterTrim(5));
    await store.close();
  });
});
