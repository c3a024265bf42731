// Assembles the probe as an unpacked extension in a temp folder (package.json + bundled
// dist/extension.js), so tests never write build output into the source tree.
import { build } from 'esbuild';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function buildProbeExtension(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'ff-e2e-probe-'));
  copyFileSync(join(__dirname, 'package.json'), join(dir, 'package.json'));
  await build({
    entryPoints: [join(__dirname, 'src/extension.ts')],
    outfile: join(dir, 'dist/extension.js'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
    sourcemap: 'inline',
    logLevel: 'warning',
  });
  return dir;
}
