import assert from 'node:assert/strict';
import { openStore } from '../../../server/store';
import { boundArgv, MAX_STORED_ARGV_BYTES } from '../../../server/store/argvBounds';
import { makeRun } from './records';

describe('store: a huge command line is bounded in every row that repeats it', () => {
  it('a 1 MB argv is stored as at most 16 KB plus a marker, in the run and in its journal rows', async () => {
    const { store } = await openStore({ path: null });
    const argv = ['python3', ...Array.from({ length: 1000 }, (_, i) => `--item-${i}=${'v'.repeat(1000)}`)];
    const run = makeRun({ id: 'run_huge', argv, command: argv.join(' ') });
    for (let i = 0; i < 5; i++) store.upsertRun({ ...run, peak_cpu_percent: i }, { summary: `update ${i}` });
    const stored = store.getRun('run_huge')!;
    const chars = stored.argv.reduce((n, a) => n + a.length, 0);
    assert.ok(chars <= MAX_STORED_ARGV_BYTES + 100, `${chars} chars of argv stored`);
    assert.match(stored.argv.at(-1)!, /more arguments, \d+ chars not stored/);
    assert.equal(stored.argv[0], 'python3');
    assert.ok(stored.command.length <= MAX_STORED_ARGV_BYTES + 100, `${stored.command.length} chars of command stored`);
    const journal = store.eventsAfter(0, 100).filter((e) => e.kind === 'run');
    assert.equal(journal.length, 5);
    for (const e of journal) assert.ok(JSON.stringify(e).length < 40_000, `a journal row holds ${JSON.stringify(e).length} chars`);
    await store.close();
  });

  it('a normal argv is stored as is', () => {
    assert.deepEqual(boundArgv(['node', 'build.js', '--watch']), ['node', 'build.js', '--watch']);
  });
});
