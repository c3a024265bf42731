// Assembles the probe as an unpacked extension in a temp folder (package.json + bundled
// dist/extension.js), so tests never write build output into the source tree.
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleForExtensionHost } from '../harness/bundle';

export async function buildProbeExtension(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'ff-e2e-probe-'));
  copyFileSync(join(__dirname, 'package.json'), join(dir, 'package.json'));
  await bundleForExtensionHost({ entry: join(__dirname, 'src/extension.ts') }, join(dir, 'dist/extension.js'));
  return dir;
}
