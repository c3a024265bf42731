import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { openStoreReadOnly } from '../../../server/store';

const ROUNDS = 30;

/** Starts the writer, kills it with SIGKILL a random moment after its first save, and returns what it reported. */
function writeAndKill(bundle: string, dbPath: string): Promise<{ lastSaved: number; opened: number; lines: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bundle, dbPath], { stdio: ['ignore', 'pipe', 'inherit'] });
    const lines: string[] = [];
    let buffer = '';
    let killTimer: NodeJS.Timeout | null = null;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk;
      const parts = buffer.split('\n');
      buffer = parts.pop()!;
      lines.push(...parts);
      if (!killTimer && parts.some((l) => l.startsWith('saved '))) {
        killTimer = setTimeout(() => child.kill('SIGKILL'), 20 + Math.random() * 250);
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') return reject(new Error(`writer exited by itself (${code}): ${lines.join(' | ')}`));
      const value = (prefix: string) => Number(lines.filter((l) => l.startsWith(prefix)).pop()?.slice(prefix.length) ?? NaN);
      resolve({ lastSaved: value('saved '), opened: value('opened '), lines });
    });
  });
}

describe('store/crash safety (SIGKILL while saving)', function () {
  this.timeout(180_000);
  let dir: string;
  let bundle: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ff-crash-'));
    // Bundled like dist/: the wasm sits beside the bundle, which is where the store looks first.
    bundle = join(dir, 'writer.js');
    buildSync({ entryPoints: [join(__dirname, 'fixtures', 'crashWriter.ts')], outfile: bundle, bundle: true, platform: 'node', format: 'cjs', logLevel: 'error' });
    copyFileSync(require.resolve('sql.js/dist/sql-wasm.wasm'), join(dir, 'sql-wasm.wasm'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it(`keeps a clean file holding every completed save, ${ROUNDS} kills in a row`, async () => {
    const dbPath = join(dir, 'crash.db');
    let previousSaved = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      const { lastSaved, opened, lines } = await writeAndKill(bundle, dbPath);
      assert.ok(!lines.some((l) => l.startsWith('warning') || l.startsWith('error')), `round ${round}: ${lines.filter((l) => !l.startsWith('saved')).join(' | ')}`);
      assert.ok(opened >= previousSaved, `round ${round}: the writer reopened at seq ${opened}, but seq ${previousSaved} had been saved`);
      assert.ok(lastSaved > opened, `round ${round}: no save completed`);

      const { store } = await openStoreReadOnly(dbPath);
      try {
        const latest = store.latestSeq();
        assert.ok(latest >= lastSaved, `round ${round}: file holds seq ${latest}, a completed save had ${lastSaved}`);
        assert.equal(store.stats().rows.journal, latest, `round ${round}: the journal has gaps`);
        assert.equal(store.eventsAfter(lastSaved - 1, 1)[0]?.seq, lastSaved);
      } finally {
        await store.close();
      }
      previousSaved = lastSaved;
    }
    assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.corrupt-')), []);
  });

  it('saves pending changes and frees the lock when the process exits without close()', async () => {
    const dbPath = join(dir, 'exit.db');
    const child = spawnSync(process.execPath, [bundle, dbPath, 'exit'], { encoding: 'utf8' });
    assert.equal(child.status, 0, child.stderr);
    assert.match(child.stdout, /pending 5/);
    assert.equal(existsSync(`${dbPath}.lock`), false);
    const { store } = await openStoreReadOnly(dbPath);
    try {
      assert.deepEqual(store.eventsAfter(0, 10).map((e) => e.ref_id), [0, 1, 2, 3, 4].map((n) => `lc_exit_${n}`));
    } finally {
      await store.close();
    }
  });
});
