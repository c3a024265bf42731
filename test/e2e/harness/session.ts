// One code-server + one browser window (+ optional host tests) with failure artefacts,
// as a mocha fixture: `const s = useE2eSession(() => ({ workspace, extensionPath }))`
// inside a describe() starts everything in before(), saves a screenshot and all logs of
// any failing test into .test-artifacts/e2e/<test>/, and tears down in after() with the
// "nothing left behind" check of CodeServerHandle.stop().
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { startCodeServer, type CodeServerHandle, type CodeServerOptions } from './codeServer';
import { prepareHostTests, type HostTestSession } from './hostTests';
import { ensureArtifactsDir } from './setup';
import { openWorkbench, type Workbench } from './workbench';

export interface E2eSessionOptions extends CodeServerOptions {
  /** Host-test files (describe/it from host/hostRunner) to run inside the extension host. */
  hostTests?: string[];
  /** false: host tests run only on demand (session.host.runTests), not at activation. */
  hostAutorun?: boolean;
}

export interface E2eSession {
  server: CodeServerHandle;
  workbench: Workbench;
  page: Page;
  /** Present when hostTests were given. */
  host: HostTestSession | undefined;
  /** Milliseconds from spawning code-server to its port, and to a ready workbench. */
  timings: { serverListeningMs: number; workbenchReadyMs: number };
  /** Screenshot, browser console, code-server output and VS Code logs into .test-artifacts/e2e/<name>/. */
  saveArtifacts(name: string): Promise<string>;
  /** Closes the browser and stops the server (rejecting if processes outlived it). Idempotent. */
  dispose(): Promise<void>;
}

export async function startE2eSession(options: E2eSessionOptions): Promise<E2eSession> {
  const { hostTests, hostAutorun, ...serverOptions } = options;
  const host = hostTests ? await prepareHostTests(hostTests, { autorun: hostAutorun }) : undefined;
  const started = Date.now();
  const server = await startCodeServer({ ...serverOptions, env: { ...serverOptions.env, ...host?.env } });
  const serverListeningMs = Date.now() - started;
  let workbench: Workbench;
  try {
    workbench = await openWorkbench(server);
  } catch (err) {
    server.saveLogs(join(ensureArtifactsDir(), 'startup-failure'));
    await server.stop({ requireClean: false });
    host?.dispose();
    throw err;
  }
  let disposed: Promise<void> | undefined;
  return {
    server,
    workbench,
    get page() {
      return workbench.page;
    },
    host,
    timings: { serverListeningMs, workbenchReadyMs: Date.now() - started },
    async saveArtifacts(name) {
      const dir = join(ensureArtifactsDir(), name.replace(/[^\w.-]+/g, '_').slice(0, 120));
      rmSync(dir, { recursive: true, force: true }); // never mix two runs' logs
      await workbench.page.screenshot({ path: join(dir, 'screenshot.png') }).catch(() => undefined);
      workbench.saveLogs(dir);
      server.saveLogs(dir);
      return dir;
    },
    dispose() {
      disposed ??= (async () => {
        try {
          await workbench.close();
          await server.stop();
        } finally {
          host?.dispose();
        }
      })();
      return disposed;
    },
  };
}

/**
 * Mocha fixture: call inside describe(). The returned object's properties are usable
 * from the first test on (they throw before the session has started).
 */
export function useE2eSession(options: () => E2eSessionOptions | Promise<E2eSessionOptions>): E2eSession {
  let session: E2eSession | undefined;
  const current = (): E2eSession => {
    if (!session) throw new Error('the e2e session has not started (use it inside it()/before hooks declared after useE2eSession)');
    return session;
  };
  before(async function () {
    this.timeout(180_000);
    session = await startE2eSession(await options());
  });
  afterEach(async function () {
    if (session && this.currentTest?.state === 'failed') {
      const dir = await session.saveArtifacts(this.currentTest.fullTitle());
      console.error(`    e2e artefacts: ${dir}`);
    }
  });
  after(async function () {
    this.timeout(60_000);
    await session?.dispose();
  });
  return {
    get server() {
      return current().server;
    },
    get workbench() {
      return current().workbench;
    },
    get page() {
      return current().page;
    },
    get host() {
      return current().host;
    },
    get timings() {
      return current().timings;
    },
    saveArtifacts: (name) => current().saveArtifacts(name),
    dispose: () => current().dispose(),
  };
}
