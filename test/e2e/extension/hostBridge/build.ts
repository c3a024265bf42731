// Assembles the host bridge (package.json + bundled dist/extension.js) in a temp
// folder — or packs that folder into a .vsix, to be installed the same way as a
// packaged FlowForge — so tests never write build output into the source tree.
// Built once per test process and removed when it exits.
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageVsix } from '../../harness';
import { bundleForExtensionHost } from '../../harness/bundle';

let built: Promise<string> | undefined;

export function buildHostBridge(): Promise<string> {
  built ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ff-e2e-bridge-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    copyFileSync(join(__dirname, 'package.json'), join(dir, 'package.json'));
    await bundleForExtensionHost({ entry: join(__dirname, 'extension.ts') }, join(dir, 'dist/extension.js'));
    return dir;
  })();
  return built;
}

export async function buildHostBridgeVsix(): Promise<string> {
  const dir = await buildHostBridge();
  const vsix = join(dir, 'host-bridge.vsix');
  return existsSync(vsix) ? vsix : packageVsix(dir, vsix);
}
