// Records the traces the detector's replay tests use (test/fixtures/traces/):
//   node -r esbuild-register scripts/record-traces.ts <manifest.json> <out dir> [ID...]
import { recordManifestTraces } from '../server/bench/traceRecorder';

recordManifestTraces(process.argv.slice(2)).catch((err: Error) => {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
});
