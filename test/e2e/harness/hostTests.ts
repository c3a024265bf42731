// Outer side of the in-extension-host test channel (the host side is host/hostRunner.ts).
// prepareHostTests() bundles host-test files with the runner, and returns the environment
// to start code-server with plus helpers to read the automatic report, run tests on
// demand, or evaluate a snippet with the full vscode API.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { bundleForExtensionHost } from './bundle';
import { hostEnv, requestFile, responseFile, type HostRequest, type HostResponse, type HostTestReport } from './host/protocol';
import { repoRoot } from './setup';

export interface HostTestSession {
  /** Pass to startCodeServer({ env }); the extension host inherits it. */
  env: Record<string, string>;
  bundlePath: string;
  resultsPath: string;
  channelDir: string;
  /** Waits for the automatic run's report; `fromHostOtherThan` skips a report from an earlier (pre-reload) host. */
  waitForReport(options?: { timeoutMs?: number; fromHostOtherThan?: number }): Promise<HostTestReport>;
  /** Runs registered host tests whose full title matches `grep` (a RegExp source), now. */
  runTests(grep?: string, options?: { params?: Record<string, unknown>; timeoutMs?: number }): Promise<HostTestReport>;
  /** Evaluates `code` as an async function body with `vscode`, `ctx` and `require` in scope; returns its JSON value. */
  evaluate<T = unknown>(code: string, options?: { params?: Record<string, unknown>; timeoutMs?: number }): Promise<T>;
  dispose(): void;
}

// Omit<> over a union must distribute, or the 'eval' member loses `code`.
type RequestBody = HostRequest extends infer R ? (R extends HostRequest ? Omit<R, 'id'> : never) : never;

const runnerPath = join(__dirname, 'host/hostRunner.ts');

/** Bundles host-test files (mocha-style, importing describe/it from host/hostRunner) into one CJS module. */
export async function buildHostTests(entries: string[], outFile: string): Promise<void> {
  const imports = entries.map((e) => `import ${JSON.stringify(resolve(repoRoot, e))};`).join('\n');
  const contents = `${imports}\nexport { attach } from ${JSON.stringify(runnerPath)};\n`;
  await bundleForExtensionHost({ stdin: { contents, resolveDir: repoRoot, loader: 'ts' } }, outFile);
}

async function waitForJson<T>(file: string, timeoutMs: number, accept: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (existsSync(file)) {
      const value = JSON.parse(readFileSync(file, 'utf8')) as T;
      if (accept(value)) return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`${what}: no answer in ${file} after ${timeoutMs} ms. Is the extension activated and calling attachHostTests()?`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function prepareHostTests(entries: string[], options: { autorun?: boolean } = {}): Promise<HostTestSession> {
  const dir = mkdtempSync(join(tmpdir(), 'ff-e2e-host-'));
  const bundlePath = join(dir, 'host-tests.js');
  const resultsPath = join(dir, 'results.json');
  const channelDir = join(dir, 'channel');
  mkdirSync(channelDir);
  await buildHostTests(entries, bundlePath);
  let seq = 0;

  const request = async (body: RequestBody, timeoutMs: number): Promise<HostResponse> => {
    const id = `${Date.now()}-${++seq}`;
    writeFileSync(join(channelDir, `${requestFile(id)}.tmp`), JSON.stringify({ ...body, id }));
    // Rename so the host never sees a partial request.
    renameSync(join(channelDir, `${requestFile(id)}.tmp`), join(channelDir, requestFile(id)));
    return waitForJson<HostResponse>(join(channelDir, responseFile(id)), timeoutMs, () => true, `host request ${body.kind}`);
  };

  return {
    env: {
      [hostEnv.bundle]: bundlePath,
      [hostEnv.results]: resultsPath,
      [hostEnv.channel]: channelDir,
      [hostEnv.autorun]: options.autorun === false ? '0' : '1',
    },
    bundlePath,
    resultsPath,
    channelDir,
    waitForReport: ({ timeoutMs = 90_000, fromHostOtherThan } = {}) =>
      waitForJson<HostTestReport>(resultsPath, timeoutMs, (r) => r.hostPid !== fromHostOtherThan, 'host test report'),
    async runTests(grep, { params, timeoutMs = 90_000 } = {}) {
      const response = await request({ kind: 'tests', ...(grep ? { grep } : {}), ...(params ? { params } : {}) }, timeoutMs);
      if (response.kind !== 'tests') throw new Error(`unexpected host response ${JSON.stringify(response)}`);
      return response.report;
    },
    async evaluate<T>(code: string, { params, timeoutMs = 30_000 }: { params?: Record<string, unknown>; timeoutMs?: number } = {}) {
      const response = await request({ kind: 'eval', code, ...(params ? { params } : {}) }, timeoutMs);
      if (response.kind !== 'eval') throw new Error(`unexpected host response ${JSON.stringify(response)}`);
      if (!response.ok) throw new Error(`host snippet failed: ${response.error.message}\n${response.error.stack ?? ''}`);
      return response.value as T;
    },
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** One line per test plus the failures' messages: use as the assertion message. */
export function formatHostReport(report: HostTestReport): string {
  const lines = report.tests.map((t) => `  ${t.state === 'passed' ? '✓' : '✗'} ${t.title} (${t.durationMs} ms)${t.error ? `\n      ${t.error.message}` : ''}`);
  return `host tests (extension host pid ${report.hostPid}): ${report.passed} passed, ${report.failed} failed\n${lines.join('\n')}`;
}
