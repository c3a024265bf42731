// A deliberately tiny mocha-style runner (describe / it / before / after) that runs
// inside the real extension host. It is bundled together with the host-test files by
// buildHostTests(); the extension under test loads the bundle through attachHostTests()
// (extensionHook.ts) and calls `attach`, which
//   - runs every registered test once at activation and writes a HostTestReport to
//     $FLOWFORGE_E2E_RESULTS (unless FLOWFORGE_E2E_AUTORUN=0), and
//   - serves on-demand requests (run tests by grep, or evaluate a snippet) dropped into
//     $FLOWFORGE_E2E_CHANNEL by the outer test (see hostTests.ts).
// Not mocha itself: mocha wants to own the process and its globals, and the extension
// host is shared with VS Code.
import { readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as vscodeApi from 'vscode';
import { hostEnv, responseFile, type HostRequest, type HostResponse, type HostTestReport, type HostTestResult } from './protocol';

export interface HostTestContext {
  vscode: typeof vscodeApi;
  extensionContext: vscodeApi.ExtensionContext;
  /** Whatever the extension under test handed to attachHostTests (e.g. its internals). */
  extensionApi: unknown;
  /** Parameters of an on-demand request; {} in the automatic run. */
  params: Record<string, unknown>;
}

export interface HostAttachment {
  vscode: typeof vscodeApi;
  extensionContext: vscodeApi.ExtensionContext;
  extensionApi?: unknown;
}

type Body = (ctx: HostTestContext) => unknown;

interface Test {
  title: string;
  fn: Body;
  timeoutMs: number;
}

interface Suite {
  title: string;
  before: Body[];
  after: Body[];
  tests: Test[];
  suites: Suite[];
}

const DEFAULT_TIMEOUT_MS = 30_000;
const root: Suite = { title: '', before: [], after: [], tests: [], suites: [] };
let current = root;

export function describe(title: string, body: () => void): void {
  const suite: Suite = { title, before: [], after: [], tests: [], suites: [] };
  current.suites.push(suite);
  const parent = current;
  current = suite;
  try {
    body();
  } finally {
    current = parent;
  }
}

export function it(title: string, fn: Body, options: { timeoutMs?: number } = {}): void {
  current.tests.push({ title, fn, timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS });
}

export function before(fn: Body): void {
  current.before.push(fn);
}

export function after(fn: Body): void {
  current.after.push(fn);
}

function withTimeout(fn: Body, ctx: HostTestContext, timeoutMs: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([Promise.resolve().then(() => fn(ctx)), timeout]).finally(() => clearTimeout(timer));
}

const asError = (err: unknown) =>
  err instanceof Error ? { message: err.message, stack: err.stack } : { message: String(err) };

const join2 = (prefix: string, title: string) => (prefix ? `${prefix} > ${title}` : title);

function selected(suite: Suite, prefix: string, grep: RegExp | undefined): boolean {
  const path = join2(prefix, suite.title);
  return suite.tests.some((t) => !grep || grep.test(join2(path, t.title))) || suite.suites.some((s) => selected(s, path, grep));
}

async function runSuite(suite: Suite, prefix: string, ctx: HostTestContext, grep: RegExp | undefined, out: HostTestResult[]): Promise<void> {
  const path = join2(prefix, suite.title);
  if (!selected(suite, prefix, grep)) return;
  let hookError: HostTestResult['error'];
  for (const hook of suite.before) {
    try {
      await withTimeout(hook, ctx, DEFAULT_TIMEOUT_MS);
    } catch (err) {
      hookError = asError(err);
      break;
    }
  }
  for (const test of suite.tests) {
    const title = join2(path, test.title);
    if (grep && !grep.test(title)) continue;
    const started = Date.now();
    if (hookError) {
      out.push({ title, state: 'failed', durationMs: 0, error: { ...hookError, message: `"before" hook failed: ${hookError.message}` } });
      continue;
    }
    try {
      await withTimeout(test.fn, ctx, test.timeoutMs);
      out.push({ title, state: 'passed', durationMs: Date.now() - started });
    } catch (err) {
      out.push({ title, state: 'failed', durationMs: Date.now() - started, error: asError(err) });
    }
  }
  if (!hookError) for (const child of suite.suites) await runSuite(child, path, ctx, grep, out);
  for (const hook of suite.after) {
    try {
      await withTimeout(hook, ctx, DEFAULT_TIMEOUT_MS);
    } catch (err) {
      out.push({ title: join2(path, '"after" hook'), state: 'failed', durationMs: 0, error: asError(err) });
    }
  }
}

export async function runHostTests(ctx: HostTestContext, grep?: string): Promise<HostTestReport> {
  const started = Date.now();
  const tests: HostTestResult[] = [];
  await runSuite(root, '', ctx, grep ? new RegExp(grep) : undefined, tests);
  const failed = tests.filter((t) => t.state === 'failed').length;
  return {
    hostPid: process.pid,
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    passed: tests.length - failed,
    failed,
    tests,
  };
}

// Evaluated snippets see `vscode`, `ctx` and `require` (Node's, e.g. for child_process) and may `await`.
const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (...args: string[]) => (...a: unknown[]) => Promise<unknown>;

async function answer(request: HostRequest, ctx: HostTestContext): Promise<HostResponse> {
  const base = { id: request.id, hostPid: process.pid };
  if (request.kind === 'tests') return { ...base, kind: 'tests', report: await runHostTests(ctx, request.grep) };
  try {
    const value = await new AsyncFunction('vscode', 'ctx', 'require', request.code)(ctx.vscode, ctx, require);
    return { ...base, kind: 'eval', ok: true, value: value ?? null };
  } catch (err) {
    return { ...base, kind: 'eval', ok: false, error: asError(err) };
  }
}

/** Write-then-rename, so the outer test never reads a half-written file. */
function writeJsonAtomic(file: string, value: unknown): void {
  writeFileSync(`${file}.${process.pid}.tmp`, JSON.stringify(value, null, 2));
  renameSync(`${file}.${process.pid}.tmp`, file);
}

/** Claims pending requests by renaming them, so two extension hosts never answer the same one. */
function claimRequests(dir: string): HostRequest[] {
  const claimed: HostRequest[] = [];
  for (const name of readdirSync(dir)) {
    if (!/^req-.+\.json$/.test(name)) continue;
    const mine = join(dir, `${name}.claimed-${process.pid}`);
    try {
      renameSync(join(dir, name), mine);
      claimed.push(JSON.parse(readFileSync(mine, 'utf8')) as HostRequest);
    } catch {
      // another host claimed it first
    }
  }
  return claimed;
}

function serveChannel(dir: string, base: Omit<HostTestContext, 'params'>): () => void {
  let busy = false;
  const poll = async () => {
    if (busy) return;
    busy = true;
    try {
      for (const request of claimRequests(dir)) {
        const response = await answer(request, { ...base, params: request.params ?? {} });
        writeJsonAtomic(join(dir, responseFile(request.id)), response);
      }
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void poll(), 150);
  return () => clearInterval(timer);
}

/** Entry point called by attachHostTests() in the extension under test. */
export function attach(host: HostAttachment): { dispose(): void } {
  const base = { vscode: host.vscode, extensionContext: host.extensionContext, extensionApi: host.extensionApi };
  const resultsPath = process.env[hostEnv.results];
  if (resultsPath && process.env[hostEnv.autorun] !== '0') {
    // Let activate() return first, so the extension is fully up when tests start.
    setTimeout(() => void runHostTests({ ...base, params: {} }).then((report) => writeJsonAtomic(resultsPath, report)), 0);
  }
  const channel = process.env[hostEnv.channel];
  const stop = channel ? serveChannel(channel, base) : () => undefined;
  return { dispose: stop };
}
