// The contract between the outer mocha test (Node 20, drives the browser) and host-side
// tests running inside the real extension host (code-server's Node 24, full vscode API).
// Everything travels through files: the extension host inherits code-server's
// environment, and both sides share the local disk.

/** Environment variables the outer test sets on code-server (the extension host inherits them). */
export const hostEnv = {
  /** Absolute path of the bundled host-test module (built by buildHostTests). */
  bundle: 'FLOWFORGE_E2E_HOST_TESTS',
  /** Where the automatic run at activation writes its HostTestReport (JSON). */
  results: 'FLOWFORGE_E2E_RESULTS',
  /** A directory watched for on-demand requests (req-<id>.json → res-<id>.json). */
  channel: 'FLOWFORGE_E2E_CHANNEL',
  /** '0' skips the automatic run at activation; the channel still answers. */
  autorun: 'FLOWFORGE_E2E_AUTORUN',
} as const;

export interface HostTestResult {
  /** Suite titles and test title joined with ' > '. */
  title: string;
  state: 'passed' | 'failed';
  durationMs: number;
  error?: { message: string; stack?: string };
}

export interface HostTestReport {
  /** The extension host that produced the report (changes after a window reload). */
  hostPid: number;
  startedAt: string;
  durationMs: number;
  passed: number;
  failed: number;
  tests: HostTestResult[];
}

/** An on-demand request: run registered tests (filtered by `grep`), or evaluate a snippet. */
export type HostRequest =
  | { id: string; kind: 'tests'; grep?: string; params?: Record<string, unknown> }
  | { id: string; kind: 'eval'; code: string; params?: Record<string, unknown> };

export type HostResponse =
  | { id: string; hostPid: number; kind: 'tests'; report: HostTestReport }
  | { id: string; hostPid: number; kind: 'eval'; ok: true; value: unknown }
  | { id: string; hostPid: number; kind: 'eval'; ok: false; error: { message: string; stack?: string } };

export const requestFile = (id: string) => `req-${id}.json`;
export const responseFile = (id: string) => `res-${id}.json`;
