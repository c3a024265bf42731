// Loading sql.js (SQLite compiled to WASM). The bundles in dist/ ship
// sql-wasm.wasm beside themselves; unbundled code (tests) finds it in
// node_modules. We read the wasm ourselves and hand the bytes to sql.js, so a
// missing file is a clear error instead of an abort inside emscripten.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import initSqlJs, { type SqlJsStatic } from 'sql.js';

const WASM_NAME = 'sql-wasm.wasm';

/** Where sql-wasm.wasm may live, in the order we look. */
export function sqlWasmCandidates(bundleDir: string = __dirname): string[] {
  const candidates = [join(bundleDir, WASM_NAME)];
  try {
    candidates.push(require.resolve(`sql.js/dist/${WASM_NAME}`));
  } catch {
    // Not resolvable from here (packaged extension): the bundle copy must exist.
  }
  return candidates;
}

export function locateSqlWasm(candidates: string[] = sqlWasmCandidates()): string {
  const found = candidates.find((p) => existsSync(p));
  if (!found) {
    throw new Error(
      `cannot find ${WASM_NAME} (looked in ${candidates.join(', ')}); the build copies it into dist/ — run \`node scripts/build.mjs\``,
    );
  }
  return found;
}

let loading: Promise<SqlJsStatic> | undefined;

/**
 * SQLite's 700 KB of wasm compiled by V8's baseline compiler only (Liftoff).
 * By default V8 also optimises it in the background (TurboFan): measured here
 * that doubles `flowforge run -- true` (0.45 → 0.24 s of CPU) and adds ~30 MB
 * of peak RSS, for queries that take microseconds either way — the store runs
 * a few statements per tick. It only affects WebAssembly, and only this one.
 */
function baselineWasmOnly(): void {
  try {
    setFlagsFromString('--liftoff-only');
  } catch {
    // An engine without the flag compiles as it likes.
  }
}

/** sql.js, initialised once per process (the promise is shared, so concurrent callers wait for one load). */
export function loadSqlJs(): Promise<SqlJsStatic> {
  loading ??= Promise.resolve()
    .then(baselineWasmOnly)
    .then(() => readFileSync(locateSqlWasm()))
    .then((wasm) => initSqlJs({ wasmBinary: wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength) }))
    .catch((err: unknown) => {
      loading = undefined;
      throw err;
    });
  return loading;
}
