// Bundles every target with esbuild. Entries that do not exist yet are skipped,
// so the build works while parts of the tree are still being written.
import { build } from 'esbuild';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const quiet = process.argv.includes('--quiet');
const production = process.argv.includes('--production');
// `--only=webview` (or `--only=node`) builds one kind of target, e.g. for the Chromium tests.
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const log = (...a) => { if (!quiet) console.log(...a); };

/**
 * Keeps the OpenTelemetry SDK (~750 KB) out of the backend bundle: export.ts
 * imports it on demand, and a single-file CommonJS bundle would otherwise
 * carry (and parse, ~3 MB of RSS) it in every backend, exporting or not.
 */
const otelSdkApart = {
  name: 'otel-sdk-apart',
  setup(b) {
    b.onResolve({ filter: /^\.\/exportSdk$/ }, (args) =>
      args.importer.endsWith(join('server', 'otel', 'export.ts')) ? { path: './otel-export-sdk.js', external: true } : undefined,
    );
  },
};

const nodeTargets = [
  { in: 'src/extension.ts', out: 'dist/extension.js', external: ['vscode'] },
  { in: 'server/backend.ts', out: 'dist/backend.js', plugins: [otelSdkApart] },
  // The OpenTelemetry SDK for the backend's optional export, loaded only when one is configured
  // (the CLI's split build gives it a chunk of its own instead).
  { in: 'server/otel/exportSdk.ts', out: 'dist/otel-export-sdk.js' },
  // dist/cli.js is a small CommonJS launcher (the `bin`); the program is dist/cli.mjs and its chunks.
  { in: 'server/cliEntry.ts', out: 'dist/cli.mjs', split: true, launcher: 'dist/cli.js' },
  // `flowforge hook` alone: agents run it on every tool call, so it loads nothing else.
  { in: 'server/hook.ts', out: 'dist/hook.js', banner: '#!/usr/bin/env node' },
];
const browserTargets = [{ in: 'webview/main.ts', out: 'media/webview/panel.js' }];

// What CommonJS code in an ES module bundle still expects: require (sql.js,
// createRequire), __dirname and __filename (files shipped beside the bundle).
const ESM_SHIMS = [
  "import { createRequire as __ffCreateRequire } from 'node:module';",
  "import { fileURLToPath as __ffFileURLToPath } from 'node:url';",
  "import { dirname as __ffDirname } from 'node:path';",
  'const require = __ffCreateRequire(import.meta.url);',
  'const __filename = __ffFileURLToPath(import.meta.url);',
  'const __dirname = __ffDirname(__filename);',
].join('\n');

/**
 * A code-split ES module build: the entry imports only the chunks it needs at
 * start-up, the rest load on first use (dynamic import). Chunks sit beside the
 * entry so that __dirname means the same folder in all of them.
 */
async function bundleSplit(t) {
  const outdir = join(root, dirname(t.out));
  const entry = t.out.split('/').pop().replace(/\.mjs$/, '');
  for (const f of existsSync(outdir) ? readdirSync(outdir) : []) if (f.startsWith(`${entry}-`) && /\.mjs(\.map)?$/.test(f)) rmSync(join(outdir, f));
  await build({
    entryPoints: { [entry]: join(root, t.in) },
    outdir,
    bundle: true,
    splitting: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    outExtension: { '.js': '.mjs' },
    chunkNames: `${entry}-[name]-[hash]`,
    sourcemap: !production,
    minify: production,
    legalComments: 'none',
    banner: { js: ESM_SHIMS },
    logLevel: 'warning',
  });
  const launcher = join(root, t.launcher);
  writeFileSync(launcher, `#!/usr/bin/env node\n// Launcher: the program is the ES module beside this file.\nimport('./${t.out.split('/').pop()}');\n`);
  chmodSync(launcher, 0o755);
}

async function bundleNode(t) {
  if (t.split) return bundleSplit(t);
  await build({
    entryPoints: [join(root, t.in)],
    outfile: join(root, t.out),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: t.external ?? [],
    plugins: t.plugins ?? [],
    sourcemap: !production,
    minify: production,
    legalComments: 'none',
    banner: t.banner ? { js: t.banner } : undefined,
    logLevel: 'warning',
  });
  if (t.banner) chmodSync(join(root, t.out), 0o755);
}

async function bundleBrowser(t) {
  await build({
    entryPoints: [join(root, t.in)],
    outfile: join(root, t.out),
    bundle: true,
    platform: 'browser',
    target: 'es2022',
    format: 'esm',
    sourcemap: !production,
    minify: production,
    legalComments: 'none',
    loader: { '.css': 'css' },
    logLevel: 'warning',
  });
}

function copyAssets() {
  mkdirSync(join(root, 'dist'), { recursive: true });
  // sql.js looks for its wasm beside the bundle that loads it.
  copyFileSync(join(root, 'node_modules/sql.js/dist/sql-wasm.wasm'), join(root, 'dist/sql-wasm.wasm'));
  // The shell fast path of `flowforge hook` (answers without starting Node when no FlowForge is around).
  copyFileSync(join(root, 'scripts/flowforge-hook.sh'), join(root, 'dist/flowforge-hook'));
  chmodSync(join(root, 'dist/flowforge-hook'), 0o755);
  const codicons = join(root, 'node_modules/@vscode/codicons/dist');
  if (existsSync(join(root, browserTargets[0].in)) && existsSync(codicons)) {
    const out = join(root, 'media/webview/codicons');
    mkdirSync(out, { recursive: true });
    for (const f of readdirSync(codicons)) if (/\.(css|ttf)$/.test(f)) copyFileSync(join(codicons, f), join(out, f));
  }
}

const started = Date.now();
const present = (t) => existsSync(join(root, t.in));
const wanted = (kind) => !only || only === kind;
const nodeBuilt = wanted('node') ? nodeTargets.filter(present) : [];
const browserBuilt = wanted('webview') ? browserTargets.filter(present) : [];
await Promise.all([...nodeBuilt.map(bundleNode), ...browserBuilt.map(bundleBrowser)]);
copyAssets();
log(`build: ${[...nodeBuilt, ...browserBuilt].map((t) => t.out).join(', ')} in ${Date.now() - started} ms`);
