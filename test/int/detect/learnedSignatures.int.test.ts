// Learned signatures end to end, as a user meets them: the built CLI, a real
// Python worker looping on a traceback with rotating values, a real sql.js
// store file on disk. The first run is stopped by the ordinary rules and its
// cycle is learned; the second run of the same worker in the same directory is
// stopped at its first tick; `flowforge allow <incident>` then lets a third
// run finish untouched; the audit table holds every step.
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NOT_A_RUNAWAY_AUDIT_ACTION } from '../../../server/shared/protocol/choices';
import { openStoreReadOnly } from '../../../server/store';
import { FIXTURES, REPO } from '../../helpers/processes';

const CLI = join(REPO, 'dist', 'cli.js');
const WORKER = join(FIXTURES, 'jobs', 'traceback_retry.py');

interface Summary {
  outcome: string;
  first_flag_s: number | null;
  intervened_after_s: number | null;
  alerts: number;
  incident_ids: string[];
  rules: string[];
}

describe('learned signatures: learn, flag at the first cycle, allow (CLI, real store)', function () {
  this.timeout(120_000);
  let dir: string;
  const db = () => join(dir, 'store.db');

  before(() => {
    if (spawnSync(process.execPath, ['scripts/build.mjs', '--quiet'], { cwd: REPO, stdio: 'inherit' }).status !== 0) throw new Error('build failed');
    dir = mkdtempSync(join(tmpdir(), 'ff-learn-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** One `flowforge run` of the worker in `dir` (its scope), its summary and what it printed on stderr. */
  async function runWorker(name: string, seconds: number): Promise<{ summary: Summary; stderr: string }> {
    const summaryPath = join(dir, `${name}.json`);
    const child = spawn(process.execPath, [CLI, 'run', '--no-api', '--db', db(), '--summary-json', summaryPath, '--', 'python3', WORKER, String(seconds)], {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + String(d)).slice(-20_000)));
    await new Promise((r) => child.on('exit', r));
    return { summary: JSON.parse(readFileSync(summaryPath, 'utf8')) as Summary, stderr };
  }

  async function readStore<T>(fn: (store: Awaited<ReturnType<typeof openStoreReadOnly>>['store']) => T): Promise<T> {
    const { store } = await openStoreReadOnly(db());
    try {
      return fn(store);
    } finally {
      await store.close();
    }
  }

  const scope = () => `dir:${dir}`;
  let first: Summary;
  let second: Summary;

  it('a looping worker is stopped by the ordinary rules and its cycle is stored as a signature of its directory', async () => {
    first = (await runWorker('first', 60)).summary;
    assert.equal(first.outcome, 'killed');
    assert.deepEqual(first.rules, ['cpu_loop']);
    const sigs = await readStore((s) => s.listSignatures(scope()));
    assert.equal(sigs.length, 1);
    assert.equal(sigs[0]!.status, 'learned');
    assert.equal(sigs[0]!.incident_id, first.incident_ids[0]);
    assert.match(sigs[0]!.signature, /^p\d+-[0-9a-f]{16}$/);
    assert.ok(sigs[0]!.period >= 12, `the traceback cycle: ${sigs[0]!.period} lines`);
  });

  it('the same worker again is flagged at its first full cycle (first tick) and stopped, naming the incident it learned from', async () => {
    const r = await runWorker('second', 60);
    second = r.summary;
    assert.equal(second.outcome, 'killed');
    assert.deepEqual(second.rules, ['learned_loop']);
    assert.ok(second.first_flag_s! < first.first_flag_s!, `learned ${second.first_flag_s} s vs first run ${first.first_flag_s} s`);
    assert.ok(second.first_flag_s! <= 2.5, `flagged after ${second.first_flag_s} s`);
    assert.match(r.stderr, new RegExp(`Known runaway — printing again the \\d+-line cycle of the runaway stopped in incident ${first.incident_ids[0]}`));
    process.stdout.write(
      `      first run: flagged ${first.first_flag_s} s, stopped ${first.intervened_after_s} s; learned run: flagged ${second.first_flag_s} s, stopped ${second.intervened_after_s} s\n`,
    );
    const sigs = await readStore((s) => s.listSignatures(scope()));
    assert.equal(sigs.length, 1, 'the same signature, confirmed again');
    assert.equal(sigs[0]!.hits, 2);
  });

  it('an incident that taught nothing cannot be allowed: a clear message and exit 1', () => {
    const r = spawnSync(process.execPath, [CLI, 'allow', 'inc_unknown', '--db', db()], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /no incident 'inc_unknown' in this store/);
  });

  it('`flowforge allow <incident>`: a third run is neither alerted nor stopped; learning and allowing are in the audit', async () => {
    const allow = spawnSync(process.execPath, [CLI, 'allow', second.incident_ids[0]!, '--db', db(), '--reason', 'the worker retries on purpose'], { encoding: 'utf8' });
    assert.equal(allow.status, 0, allow.stderr);
    assert.match(allow.stdout, /^allowed p\d+-[0-9a-f]{16} \(\d+-line cycle, scope dir:/);

    const third = (await runWorker('third', 14)).summary;
    assert.equal(third.outcome, 'exited', JSON.stringify(third));
    assert.equal(third.alerts, 0);
    assert.deepEqual(third.incident_ids, []);

    const { sigs, audit } = await readStore((s) => ({
      sigs: s.listSignatures(scope()),
      audit: s.timeline({ limit: 500, kinds: ['audit'] }).items.map((e) => e.data as { action: string; actor: string; reason: string; details: Record<string, unknown> }),
    }));
    assert.equal(sigs[0]!.status, 'allowed');
    assert.equal(sigs[0]!.allowed_incident_id, second.incident_ids[0]);
    assert.equal(sigs[0]!.allowed_reason, 'the worker retries on purpose');
    const actions = audit.map((a) => `${a.actor} ${a.action}`);
    for (const want of ['flowforge learn_signature', 'flowforge confirm_signature', `user ${NOT_A_RUNAWAY_AUDIT_ACTION}`]) assert.ok(actions.includes(want), `${want} in ${actions.join(', ')}`);
    const learned = audit.find((a) => a.action === 'learn_signature')!;
    assert.equal(learned.details.incident_id, first.incident_ids[0]);
    assert.equal(learned.details.signature, sigs[0]!.signature);
  });
});
