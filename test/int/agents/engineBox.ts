// What the agent int tests share: the build (they run the built hook
// commands) and a real engine on an in-memory store, fresh for every test,
// with a scratch folder.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine, type EngineOptions } from '../../../server/engine/engine';
import { openStore } from '../../../server/store';
import type { EvidenceStore } from '../../../server/store/types';
import { REPO } from '../../helpers/processes';

export interface EngineBox {
  store: EvidenceStore;
  engine: Engine;
  dir: string;
}

/** Registers the hooks; the box's fields are set before each test. */
export function useEngine(prefix: string, opts: Partial<EngineOptions> = {}): EngineBox {
  const box = {} as EngineBox;
  before(() => {
    if (spawnSync(process.execPath, ['scripts/build.mjs', '--quiet'], { cwd: REPO, stdio: 'inherit' }).status !== 0) throw new Error('build failed');
  });
  beforeEach(async () => {
    box.dir = mkdtempSync(join(tmpdir(), prefix));
    ({ store: box.store } = await openStore({ path: null }));
    box.engine = new Engine({ store: box.store, sampleIntervalMs: 200, ...opts });
  });
  afterEach(async () => {
    await box.engine.shutdown('test over');
    await box.store.close();
    rmSync(box.dir, { recursive: true, force: true });
  });
  return box;
}
