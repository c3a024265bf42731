// A short `flowforge run` never opens its store: its record waits in a spool
// file beside it, `flowforge incidents`/`timeline` show it at once, and the
// next run that lives long enough imports it. Real CLI processes, a real
// sql.js file on disk.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStoreReadOnly } from '../../../server/store';
import { spoolDirFor } from '../../../server/store/spool';

const root = join(__dirname, '..', '..', '..');
const CLI = join(root, 'dist', 'cli.js');
const SECRET = 'ghp_0123456789abcdefghijklmnopqrstuvwxyzAB';

const flowforge = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });

describe('flowforge run: the spool of short runs', function () {
  this.timeout(120_000);
  let dir: string;
  let db: string;
  before(function () {
    if (!existsSync(CLI)) {
      const build = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--quiet'], { cwd: root, encoding: 'utf8' });
      assert.equal(build.status, 0, build.stderr);
    }
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ff-spool-int-'));
    db = join(dir, 'runs.db');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a job over at once leaves one redacted spool file, no store file, and keeps its exit code', () => {
    const r = flowforge(['run', '--db', db, '--', 'sh', '-c', `exit 3 # token ${SECRET}`]);
    assert.equal(r.status, 3, r.stderr);
    assert.equal(existsSync(db), false, 'the store was not opened for a run this short');
    const files = readdirSync(spoolDirFor(db));
    assert.equal(files.length, 1, files.join());
    const text = readFileSync(join(spoolDirFor(db), files[0]!), 'utf8');
    assert.ok(!text.includes(SECRET), 'the secret in argv reached the spool');
    assert.match(text, /"exit_code":3/);
  });

  it('`flowforge timeline` shows a spooled run at once; a longer run imports the spool and empties it', async () => {
    assert.equal(flowforge(['run', '--db', db, '--', 'true']).status, 0);
    assert.equal(flowforge(['run', '--db', db, '--name', 'second-short', '--', 'true']).status, 0);
    assert.equal(readdirSync(spoolDirFor(db)).length, 2);

    const timeline = flowforge(['timeline', '--db', db]);
    assert.equal(timeline.status, 0, timeline.stderr);
    assert.match(timeline.stdout, /second-short/);

    // Long enough that the store opens beside the job (and imports what waits).
    const long = flowforge(['run', '--db', db, '--name', 'long-one', '--', 'sleep', '1']);
    assert.equal(long.status, 0, long.stderr);
    assert.deepEqual(readdirSync(spoolDirFor(db)), [], 'every spool file was imported and removed');
    const { store } = await openStoreReadOnly(db);
    const names = store.listRuns({ limit: 10 }).items.map((r) => r.name).sort();
    await store.close();
    assert.deepEqual(names, ['long-one', 'second-short', 'true']);
  });
});
