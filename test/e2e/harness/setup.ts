// Where the e2e toolchain lives. scripts/e2e-setup.mjs installs it and writes
// .e2e/setup.json; everything here reads that file instead of guessing paths.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const repoRoot = resolve(__dirname, '../../..');
export const artifactsDir = join(repoRoot, '.test-artifacts/e2e');

export interface E2eToolchain {
  node: string;
  nodeVersion: string;
  codeServerEntry: string;
  codeServerVersion: string;
}

let cached: E2eToolchain | undefined;

export function toolchain(): E2eToolchain {
  if (cached) return cached;
  const manifest = join(repoRoot, '.e2e/setup.json');
  if (!existsSync(manifest)) {
    throw new Error(`e2e toolchain missing (${manifest} not found). Run: node scripts/e2e-setup.mjs`);
  }
  const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as E2eToolchain;
  for (const file of [parsed.node, parsed.codeServerEntry]) {
    if (!existsSync(file)) throw new Error(`e2e toolchain incomplete: ${file} is missing. Run: node scripts/e2e-setup.mjs`);
  }
  cached = parsed;
  return parsed;
}

export function ensureArtifactsDir(): string {
  mkdirSync(artifactsDir, { recursive: true });
  return artifactsDir;
}
