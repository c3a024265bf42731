// `npm test`: every tier in order, each in its own process, a summary at the
// end. A tier whose tests do not exist yet is reported as skipped, not passed.
// FF_TIERS=unit,int runs a subset (for local iteration).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);

function hasFiles(dir, suffix) {
  const full = join(root, dir);
  if (!existsSync(full)) return false;
  const walk = (d) =>
    readdirSync(d, { withFileTypes: true }).some((e) =>
      e.isDirectory() ? walk(join(d, e.name)) : e.name.endsWith(suffix),
    );
  return walk(full);
}

const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
const vsix = join(root, `flowforge-${version}.vsix`);

const tiers = [
  {
    name: 'typecheck',
    cmd: [bin('tsc'), '--noEmit', '-p', '.'],
    // The last step is the import-boundary check (.dependency-cruiser.cjs): a forbidden import fails the tier.
    also: [[bin('tsc'), '--noEmit', '-p', 'webview'], [bin('tsc'), '--noEmit', '-p', 'test/webview'], [bin('depcruise'), 'server', 'src', 'webview', '--config', '.dependency-cruiser.cjs']],
  },
  { name: 'build', cmd: [process.execPath, 'scripts/build.mjs'] },
  { name: 'unit', cmd: [bin('mocha'), '--config', 'test/.mocharc.unit.json'], when: () => hasFiles('test/unit', '.unit.test.ts') },
  { name: 'integration', cmd: [bin('mocha'), '--config', 'test/.mocharc.int.json'], when: () => hasFiles('test/int', '.int.test.ts') },
  {
    name: 'webview',
    cmd: [bin('mocha'), '--config', 'test/.mocharc.webview.json'],
    before: [process.execPath, 'scripts/e2e-setup.mjs'], // Debian chromium (and the rest of the browser toolchain)
    when: () => existsSync(join(root, 'test/.mocharc.webview.json')) && hasFiles('test/webview', '.chromium.test.ts'),
  },
  {
    name: 'e2e',
    cmd: [bin('mocha'), '--config', 'test/.mocharc.e2e.json'],
    before: [process.execPath, 'scripts/e2e-setup.mjs'],
    when: () => existsSync(join(root, 'test/.mocharc.e2e.json')) && hasFiles('test/e2e', '.e2e.test.ts'),
  },
  {
    // The same suite against what a user installs: the packaged VSIX, put into
    // code-server with --install-extension (the packaging rebuilds dist/ minified).
    name: 'e2e-vsix',
    before: ['npm', 'run', 'package'],
    cmd: [bin('mocha'), '--config', 'test/.mocharc.e2e-vsix.json'],
    env: { FLOWFORGE_E2E_VSIX: vsix },
    when: () => existsSync(join(root, 'test/.mocharc.e2e.json')) && hasFiles('test/e2e/extension', '.e2e.test.ts'),
  },
];

// A fresh clone: install the project first, so `npm test` alone is enough.
if (!existsSync(bin('tsc'))) {
  process.stdout.write('━━━ npm ci (first run) ━━━\n');
  if (spawnSync('npm', ['ci'], { cwd: root, stdio: 'inherit' }).status !== 0) process.exit(1);
}

const only = process.env.FF_TIERS ? new Set(process.env.FF_TIERS.split(',')) : null;
const results = [];
const run = (argv, env = {}) =>
  spawnSync(argv[0], argv.slice(1), { cwd: root, stdio: 'inherit', env: { ...process.env, FORCE_COLOR: process.env.FORCE_COLOR ?? '1', ...env } }).status;

for (const tier of tiers) {
  if (only && !only.has(tier.name)) continue;
  if (tier.when && !tier.when()) {
    results.push({ name: tier.name, status: 'skipped (no tests yet)', ms: 0 });
    continue;
  }
  process.stdout.write(`\n━━━ ${tier.name} ━━━\n`);
  const started = Date.now();
  let code = tier.before ? run(tier.before) : 0;
  if (code === 0) code = run(tier.cmd, tier.env);
  for (const extra of tier.also ?? []) if (code === 0) code = run(extra);
  results.push({ name: tier.name, status: code === 0 ? 'passed' : `FAILED (exit ${code})`, ms: Date.now() - started });
  if (code !== 0 && (tier.name === 'typecheck' || tier.name === 'build')) break; // later tiers need these
}

process.stdout.write('\n━━━ summary ━━━\n');
for (const r of results) process.stdout.write(`${r.name.padEnd(12)} ${r.status.padEnd(24)} ${(r.ms / 1000).toFixed(1)} s\n`);
const failed = results.some((r) => r.status.startsWith('FAILED'));
process.exitCode = failed ? 1 : 0;
