// Packs an unpacked extension folder into a .vsix, offline, with the repo's vsce
// (--no-dependencies: no walk of node_modules; --allow-missing-repository and
// --skip-license: without them vsce asks y/N questions, which would hang a test).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './setup';

export function packageVsix(extensionDir: string, vsix: string): string {
  const vsce = join(repoRoot, 'node_modules/.bin/vsce');
  const args = ['package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '-o', vsix];
  // stdin closed: vsce asks y/N in some situations, which must fail rather than hang.
  const r = spawnSync(vsce, args, { cwd: extensionDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  if (r.status !== 0) throw new Error(`vsce package failed in ${extensionDir} (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  return vsix;
}
