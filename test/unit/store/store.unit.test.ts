import assert from 'node:assert/strict';
import { readFileSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { FakeClock } from '../../../server/util/clock';
import { InvalidCursorError, openStore, openStoreReadOnly, type SqlEvidenceStore } from '../../../server/store';
import { REDACTED } from '../../../server/shared/redact';
import type { TimelineEvent } from '../../../server/shared/protocol/domain';
import { makeAudit, makeDecision, makeIncident, makeLifecycle, makeRun, makeSample, tempStorePath } from './records';

const memoryStore = async (clock = new FakeClock()) => (await openStore({ path: null, clock })).store;

/** Walks every page of a paged query and returns all items in order. */
function allPages<T>(fetch: (cursor: string | null) => { items: T[]; next_cursor: string | null; has_more: boolean }): T[] {
  const out: T[] = [];
  let cursor: string | null = null;
  for (let guard = 0; guard < 1000; guard++) {
    const page = fetch(cursor);
    out.push(...page.items);
    assert.equal(page.has_more, page.next_cursor !== null);
    if (!page.has_more) return out;
    cursor = page.next_cursor;
  }
  throw new Error('pagination did not end');
}

describe('store/SqlEvidenceStore', () => {
  let store: SqlEvidenceStore;
  beforeEach(async () => {
    store = await memoryStore();
  });
  afterEach(() => store.close());

  describe('runs', () => {
    it('journals a run only when a note is given', () => {
      const run = makeRun();
      assert.equal(store.upsertRun(run), null);
      assert.equal(store.latestSeq(), 0);
      const ev = store.upsertRun({ ...run, lifecycle: 'STOPPED', ended_at: run.started_at + 5000 }, { summary: 'run ended', request_id: 'req-1' });
      assert.ok(ev);
      assert.equal(ev.kind, 'run');
      assert.equal(ev.request_id, 'req-1');
      assert.equal((ev.data as { lifecycle: string }).lifecycle, 'STOPPED');
      assert.equal(store.getRun(run.id)?.lifecycle, 'STOPPED');
      assert.equal(store.listRuns({ limit: 10 }).items.length, 1);
    });

    it('filters runs by workspace, owner, job and activity', () => {
      const a = makeRun({ workspace_id: 'ws1', owner: 'alice' });
      const b = makeRun({ owner: 'bob', ended_at: 1_700_000_100_000 });
      const c = makeRun({ job_id: a.id, attempt: 2, workspace_id: 'ws1', owner: 'alice', started_at: a.started_at + 1 });
      for (const r of [a, b, c]) store.upsertRun(r);
      const ids = (q: Parameters<SqlEvidenceStore['listRuns']>[0]) => store.listRuns(q).items.map((r) => r.id);
      assert.deepEqual(ids({ limit: 10, workspace_id: 'ws1' }), [c.id, a.id]);
      assert.deepEqual(ids({ limit: 10, owner: 'bob' }), [b.id]);
      assert.deepEqual(ids({ limit: 10, job_id: a.id }), [c.id, a.id]);
      assert.deepEqual(ids({ limit: 10, active: false }), [b.id]);
      assert.deepEqual(ids({ limit: 10, active: true }).sort(), [a.id, c.id].sort());
    });

    it('pages runs newest first, with ties on start time broken by id', () => {
      const runs = Array.from({ length: 23 }, (_, i) => makeRun({ started_at: 1_700_000_000_000 + Math.floor(i / 3) }));
      for (const r of runs) store.upsertRun(r);
      const seen = allPages((cursor) => store.listRuns({ limit: 5, cursor }));
      const expected = [...runs].sort((x, y) => y.started_at - x.started_at || (y.id < x.id ? -1 : 1)).map((r) => r.id);
      assert.deepEqual(seen.map((r) => r.id), expected);
    });
  });

  describe('journal and timeline', () => {
    it('returns the stored record as the event data and assigns increasing seqs', () => {
      const run = makeRun();
      store.upsertRun(run);
      const d = makeDecision(run);
      const l = makeLifecycle(run);
      const e1 = store.addLifecycle(l);
      const e2 = store.addDecision(d);
      assert.equal(e2.seq, e1.seq + 1);
      assert.equal(store.latestSeq(), e2.seq);
      assert.deepEqual(store.getDecision(d.id), d);
      const [newest, older] = store.timeline({ limit: 10 }).items;
      assert.deepEqual(newest, e2);
      assert.deepEqual(older, e1);
      assert.deepEqual(newest!.data, d);
    });

    it('pages the timeline without gaps or repeats while new events arrive', () => {
      const run = makeRun();
      store.upsertRun(run);
      for (let i = 0; i < 30; i++) store.addLifecycle(makeLifecycle(run, { t: run.started_at + i }));
      const first = store.timeline({ limit: 7 });
      for (let i = 0; i < 5; i++) store.addDecision(makeDecision(run));
      const rest = allPages((cursor) => store.timeline({ limit: 7, cursor: cursor ?? first.next_cursor }));
      const seqs = [...first.items, ...rest].map((e) => e.seq);
      assert.deepEqual(seqs, Array.from({ length: 30 }, (_, i) => 30 - i));
    });

    it('filters by kinds, run, workspace and owner (owner and workspace come from the run)', () => {
      const mine = makeRun({ owner: 'alice', workspace_id: 'ws1' });
      const theirs = makeRun({ owner: 'bob' });
      store.upsertRun(mine);
      store.upsertRun(theirs);
      store.addDecision(makeDecision(mine));
      store.addLifecycle(makeLifecycle(mine));
      store.addDecision(makeDecision(theirs));
      store.addAudit(makeAudit({ run_id: null }));
      const kindsOf = (evs: TimelineEvent[]) => evs.map((e) => `${e.kind}:${e.run_id}`);
      assert.deepEqual(kindsOf(store.timeline({ limit: 50, owner: 'alice' }).items), [`lifecycle:${mine.id}`, `decision:${mine.id}`]);
      assert.deepEqual(kindsOf(store.timeline({ limit: 50, workspace_id: 'ws1', kinds: ['decision'] }).items), [`decision:${mine.id}`]);
      assert.deepEqual(kindsOf(store.timeline({ limit: 50, run_id: theirs.id }).items), [`decision:${theirs.id}`]);
      assert.equal(store.timeline({ limit: 50, kinds: ['audit', 'lifecycle'] }).items.length, 2);
      assert.equal(store.timeline({ limit: 50 }).items[0]!.workspace_id, null);
    });

    it('replays events after a seq and finds events by request id', () => {
      const run = makeRun();
      store.upsertRun(run);
      const reqId = '9f3c2a7be41d08c65f7a2e9d1b4c8a03';
      store.addLifecycle(makeLifecycle(run, { request_id: reqId }));
      store.addLifecycle(makeLifecycle(run));
      store.addAudit(makeAudit({ request_id: reqId, run_id: run.id }));
      assert.deepEqual(store.eventsAfter(1, 10).map((e) => e.seq), [2, 3]);
      assert.deepEqual(store.eventsAfter(0, 2).map((e) => e.seq), [1, 2]);
      assert.deepEqual(store.eventsByRequest(reqId).map((e) => e.seq), [1, 3]);
    });

    it('rejects cursors that were not made by the same query kind', () => {
      const run = makeRun();
      store.upsertRun(run);
      store.upsertRun(makeRun());
      const runsCursor = store.listRuns({ limit: 1 }).next_cursor!;
      assert.throws(() => store.timeline({ limit: 5, cursor: runsCursor }), InvalidCursorError);
      assert.throws(() => store.listRuns({ limit: 5, cursor: 'garbage!!' }), InvalidCursorError);
      assert.throws(() => store.listIncidents({ limit: 5, cursor: Buffer.from('["incidents","x"]').toString('base64url') }), /malformed/);
    });

    it('clamps page sizes to 1..500', () => {
      const run = makeRun();
      store.upsertRun(run);
      for (let i = 0; i < 3; i++) store.addLifecycle(makeLifecycle(run));
      assert.equal(store.timeline({ limit: 0 }).items.length, 1);
      assert.equal(store.timeline({ limit: 10_000 }).items.length, 3);
    });
  });

  describe('incidents', () => {
    it('updates one row per incident and journals snapshots only with a note', () => {
      const run = makeRun({ owner: 'alice', workspace_id: 'ws1' });
      store.upsertRun(run);
      const inc = makeIncident(run);
      const opened = store.upsertIncident(inc, { summary: 'incident opened' });
      assert.equal(store.upsertIncident({ ...inc, decision_count: 2 }), null);
      const closed = store.upsertIncident({ ...inc, status: 'closed', closed_at: inc.opened_at + 9000, updated_at: inc.opened_at + 9000 }, { summary: 'closed' });
      assert.equal(store.listIncidents({ limit: 10 }).items.length, 1);
      assert.equal(store.getIncident(inc.id)?.status, 'closed');
      assert.equal((opened!.data as { status: string }).status, 'open');
      assert.equal((closed!.data as { status: string }).status, 'closed');
      assert.equal(closed!.incident_id, inc.id);
    });

    it('filters incidents and pages them newest first', () => {
      const alice = makeRun({ owner: 'alice', workspace_id: 'ws1' });
      const bob = makeRun({ owner: 'bob' });
      store.upsertRun(alice);
      store.upsertRun(bob);
      const incs = Array.from({ length: 12 }, (_, i) =>
        makeIncident(i % 3 === 0 ? bob : alice, { opened_at: 1_700_000_000_000 + i * 1000, kind: i % 2 ? 'memory_limit' : 'cpu_loop', status: i < 4 ? 'closed' : 'open' }),
      );
      for (const i of incs) store.upsertIncident(i);
      const all = allPages((cursor) => store.listIncidents({ limit: 5, cursor }));
      assert.deepEqual(all.map((i) => i.id), incs.map((i) => i.id).reverse());
      const ids = (q: Parameters<SqlEvidenceStore['listIncidents']>[0]) => store.listIncidents(q).items.map((i) => i.id);
      assert.deepEqual(ids({ limit: 50, owner: 'bob' }), incs.filter((i) => i.run_id === bob.id).map((i) => i.id).reverse());
      assert.deepEqual(ids({ limit: 50, workspace_id: 'ws1', kind: 'cpu_loop', status: 'open' }), incs.filter((i, n) => i.run_id === alice.id && n % 2 === 0 && n >= 4).map((i) => i.id).reverse());
      assert.deepEqual(ids({ limit: 50, run_id: alice.id }).length, 8);
    });

    it('builds the chain of one incident: its run and events naming it, oldest first', () => {
      const run = makeRun();
      const other = makeRun();
      store.upsertRun(run, { summary: 'started' });
      store.upsertRun(other, { summary: 'other started' });
      const inc = makeIncident(run);
      store.addLifecycle(makeLifecycle(run));
      store.addDecision(makeDecision(run, { incident_id: inc.id }));
      store.upsertIncident(inc, { summary: 'opened' });
      store.addLifecycle(makeLifecycle(other));
      store.addAudit(makeAudit({ run_id: null, details: { incident_id: inc.id } }));
      store.addLifecycle(makeLifecycle(run, { phase: 'STOPPING', previous: 'RUNNING', reason: 'runaway' }));
      const chain = store.incidentChain(inc.id);
      assert.deepEqual(chain.map((e) => e.kind), ['run', 'lifecycle', 'decision', 'incident', 'audit', 'lifecycle']);
      assert.ok(chain.every((e, i) => i === 0 || e.seq > chain[i - 1]!.seq));
      assert.ok(chain.every((e) => e.run_id === run.id || e.incident_id === inc.id));
      assert.deepEqual(store.incidentChain('inc_missing'), []);
    });

    it('reads one incident with its run, newest samples, decisions and chain in one call', () => {
      const run = makeRun();
      store.upsertRun(run, { summary: 'started' });
      for (let i = 0; i < 8; i++) store.addSample(makeSample(run.id, run.started_at + i * 1000));
      const inc = makeIncident(run);
      const mine = makeDecision(run, { incident_id: inc.id, t: run.started_at + 1 });
      const routine = makeDecision(run, { t: run.started_at + 2 });
      store.addDecision(mine);
      store.addDecision(routine);
      store.upsertIncident(inc, { summary: 'opened' });
      const detail = store.incidentDetail(inc.id, 3);
      assert.ok(detail);
      assert.equal(detail.incident.id, inc.id);
      assert.equal(detail.run?.id, run.id);
      assert.deepEqual(detail.samples.map((s) => s.t), [5, 6, 7].map((i) => run.started_at + i * 1000));
      assert.deepEqual(detail.decisions.map((d) => d.id), [mine.id], 'only the decisions of this incident');
      assert.deepEqual(detail.chain, store.incidentChain(inc.id));
      assert.deepEqual(store.incidentDetail(inc.id, 0)?.samples, []);
      assert.equal(store.incidentDetail('inc_missing', 10), null);
    });
  });

  describe('decisions and samples of a run', () => {
    it('returns the newest decisions of a run, oldest first', () => {
      const run = makeRun();
      store.upsertRun(run);
      const ds = Array.from({ length: 6 }, (_, i) => makeDecision(run, { t: run.started_at + i }));
      for (const d of ds) store.addDecision(d);
      store.addDecision(makeDecision(makeRun()));
      assert.deepEqual(store.decisionsForRun(run.id, 4).map((d) => d.id), ds.slice(2).map((d) => d.id));
    });

    it('returns samples in a time range, oldest first, the newest ones when limited', () => {
      const run = makeRun();
      for (let i = 0; i < 10; i++) store.addSample(makeSample(run.id, 1000 * i, { cpu_percent: i === 0 ? null : i }));
      assert.deepEqual(store.samples(run.id).map((s) => s.t), Array.from({ length: 10 }, (_, i) => 1000 * i));
      assert.deepEqual(store.samples(run.id, { from: 2000, to: 5000 }).map((s) => s.t), [2000, 3000, 4000, 5000]);
      assert.deepEqual(store.samples(run.id, { limit: 3 }).map((s) => s.t), [7000, 8000, 9000]);
      assert.equal(store.samples(run.id)[0]!.cpu_percent, null);
      assert.deepEqual(store.samples(run.id)[3], makeSample(run.id, 3000, { cpu_percent: 3 }));
    });
  });

  describe('redaction on every write path', () => {
    it('redacts commands, argv, evidence, templates, reasons, summaries and audit details, but keeps ids and paths', () => {
      const reqId = '9f3c2a7be41d08c65f7a2e9d1b4c8a03';
      const run = makeRun({ command: 'deploy --token abc123', argv: ['deploy', '--token', 'abc123'], cwd: '/home/dev/ws/9f3c2a7be41d08c65f7a2e9d1b4c8a03' });
      store.upsertRun(run, { summary: 'started with password=hunter2' });
      const d = makeDecision(run, {
        evidence: ['login failed for password=hunter2'],
        templates: ['Authorization: Bearer abcdef123456'],
        reason: 'loop printing API_KEY=sk_live_abcdefghijk',
        rules: [{ id: 'r', title: 't', fired: true, confidence: 1, detail: 'saw secret=xyz' }],
      });
      store.addDecision(d);
      store.upsertIncident(makeIncident(run, { evidence: ['token: hunter2'], reason: 'password=hunter2' }));
      store.addLifecycle(makeLifecycle(run, { reason: 'killed, token=abc', request_id: reqId }));
      store.addAudit(makeAudit({ reason: 'user said password=hunter2', details: { password: 'hunter2', note: 'secret=abc' }, request_id: reqId }));
      store.upsertWorkspace({ id: 'ws1', path: '/home/dev/ws', profile: 'standard', client: 'vscode', protection_enabled: true, protection_reason: 'token=abc', registered_at: 1, updated_at: 1 });

      const everything = JSON.stringify([
        store.getRun(run.id),
        store.timeline({ limit: 100 }),
        store.listIncidents({ limit: 10 }),
        store.listWorkspaces(),
      ]);
      for (const secret of ['abc123', 'hunter2', 'abcdef123456', 'abcdefghijk', 'xyz', 'token=abc', 'secret=abc']) {
        assert.ok(!everything.includes(secret), `${secret} survived`);
      }
      assert.deepEqual(store.getRun(run.id)!.argv, ['deploy', '--token', REDACTED]);
      assert.equal(store.getRun(run.id)!.cwd, run.cwd);
      assert.equal(store.eventsByRequest(reqId).length, 2);
      assert.equal(store.getWorkspace('ws1')!.path, '/home/dev/ws');
    });
  });

  describe('workspaces and idempotency', () => {
    it('inserts, updates, lists and deletes workspaces', () => {
      const ws = { id: 'ws1', path: '/a', profile: 'standard' as const, client: 'vscode', protection_enabled: true, protection_reason: '', registered_at: 1, updated_at: 1 };
      store.upsertWorkspace(ws);
      store.upsertWorkspace({ ...ws, protection_enabled: false, updated_at: 2 });
      store.upsertWorkspace({ ...ws, id: 'ws2', path: '/b' });
      assert.equal(store.getWorkspace('ws1')!.protection_enabled, false);
      assert.deepEqual(store.listWorkspaces().map((w) => w.id), ['ws1', 'ws2']);
      assert.equal(store.deleteWorkspace('ws1'), true);
      assert.equal(store.deleteWorkspace('ws1'), false);
      assert.equal(store.getWorkspace('ws1'), null);
    });

    it('keeps the first answer per key and endpoint, and expires records after the configured age', async () => {
      const clock = new FakeClock();
      const s = await memoryStore(clock);
      const rec = { key: 'k-1', endpoint: 'POST /v1/process/kill', request_hash: 'h1', status: 202, body: '{"ok":true}', content_type: 'application/json', created_at: clock.now() };
      s.putIdempotency(rec);
      s.putIdempotency({ ...rec, status: 500, body: 'later' });
      assert.deepEqual(s.getIdempotency('k-1', rec.endpoint), rec);
      assert.equal(s.getIdempotency('k-1', 'POST /v1/process/restart'), null);
      clock.advance(25 * 3_600_000);
      assert.equal(s.getIdempotency('k-1', rec.endpoint), null);
      await s.close();
    });
  });

  describe('on disk', () => {
    const tmp = tempStorePath();
    it('never stores idempotency keys in plain text', async () => {
      const { path } = tmp;
      const { store: s } = await openStore({ path });
      s.putIdempotency({ key: 'client-key-4711', endpoint: 'POST /v1/runs', request_hash: 'h', status: 201, body: '{}', content_type: 'application/json', created_at: Date.now() });
      await s.close();
      assert.ok(!readFileSync(path).includes('client-key-4711'));
      const { store: again } = await openStore({ path });
      assert.equal(again.getIdempotency('client-key-4711', 'POST /v1/runs')?.status, 201);
      await again.close();
    });

    it('redacts a stored idempotent answer before it reaches memory or disk, and keeps it valid JSON', async () => {
      const { path } = tmp;
      const { store: s } = await openStore({ path });
      const secret = 'hunter2x9Q';
      const answer = { run: { id: 'run_1', name: `PGPASSWORD=${secret} psql -h db`, argv: ['psql', `--password=${secret}`] } };
      s.putIdempotency({ key: 'k-red', endpoint: 'POST /v1/runs', request_hash: 'h', status: 201, body: JSON.stringify(answer), content_type: 'application/json', created_at: Date.now() });
      const kept = s.getIdempotency('k-red', 'POST /v1/runs')!;
      assert.ok(!kept.body.includes(secret), kept.body);
      assert.deepEqual(JSON.parse(kept.body), { run: { id: 'run_1', name: `PGPASSWORD=${REDACTED} psql -h db`, argv: ['psql', `--password=${REDACTED}`] } });
      await s.close();
      assert.ok(!readFileSync(path).includes(secret), 'the secret is in the store file');
    });

    it('keeps seqs increasing across reopen, even after every journal row is gone', async () => {
      const { path } = tmp;
      const clock = new FakeClock();
      const { store: s } = await openStore({ path, clock });
      const run = makeRun();
      for (let i = 0; i < 3; i++) s.addLifecycle(makeLifecycle(run, { t: clock.now() }));
      await s.close();
      clock.advance(40 * 86_400_000);
      const { store: again } = await openStore({ path, clock });
      assert.equal(again.timeline({ limit: 10 }).items.length, 0, 'retention on open dropped the old rows');
      assert.equal(again.latestSeq(), 3);
      assert.equal(again.addLifecycle(makeLifecycle(run, { t: clock.now() })).seq, 4);
      await again.close();
    });

    it('read-only: reads the last saved state without locking or writing, while a writer is open', async () => {
      const { path } = tmp;
      const { store: writer } = await openStore({ path, debounceMs: 60_000, maxDelayMs: 60_000 });
      const run = makeRun();
      writer.upsertRun(run, { summary: 'saved' });
      await writer.flush();
      writer.addLifecycle(makeLifecycle(run));
      const before = statSync(path);
      const lockBefore = readFileSync(`${path}.lock`, 'utf8');
      const { store: reader, warnings } = await openStoreReadOnly(path);
      assert.deepEqual(warnings, []);
      assert.equal(reader.health().readOnly, true);
      assert.deepEqual(reader.timeline({ limit: 10 }).items.map((e) => e.kind), ['run'], 'sees only what was saved');
      assert.throws(() => reader.upsertRun(run), /read-only/);
      assert.throws(() => reader.addSample(makeSample(run.id, 1)), /read-only/);
      await reader.close();
      const after = statSync(path);
      assert.equal(after.mtimeMs, before.mtimeMs);
      assert.equal(after.size, before.size);
      assert.equal(readFileSync(`${path}.lock`, 'utf8'), lockBefore, 'the writer still holds its lock');
      await writer.close();
    });

    it('read-only: a missing file reads as an empty store with a warning and creates nothing', async () => {
      const path = join(tmp.dir, 'none.db');
      const { store: reader, warnings } = await openStoreReadOnly(path);
      assert.match(warnings[0]!, /does not exist yet/);
      assert.deepEqual(reader.listIncidents({ limit: 5 }).items, []);
      await reader.close();
      assert.equal(existsSync(path), false);
    });
  });

  it('refuses writes once close() has begun', async () => {
    const s = await memoryStore();
    const closing = s.close();
    assert.throws(() => s.upsertRun(makeRun()), /closing; it takes no more writes/);
    await closing;
  });

  it('refuses use after close', async () => {
    const s = await memoryStore();
    await s.close();
    await s.close();
    assert.throws(() => s.getRun('x'), /closed/);
  });
});
