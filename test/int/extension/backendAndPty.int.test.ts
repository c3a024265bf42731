// The extension's backend side outside VS Code, with real processes: the
// forked backend (handshake, API, restart after a crash, shutdown that stops
// the jobs) and the task Pseudoterminal against it (output before and after
// the stream connects, exit codes, Ctrl+C, stdin, the banner of a kill).
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { z } from 'zod';
import { RUNAWAY_AGENT } from '../../../server/shared/demoJobs';
import type { StartRunBody } from '../../../server/shared/protocol/api';
import { createLogger } from '../../../server/util/logger';
import { ApiClient, type EndpointSource } from '../../../src/backend/apiClient';
import { BackendEvents } from '../../../src/backend/backendEvents';
import { BackendProcess, type BackendExit } from '../../../src/backend/backendProcess';
import { SupervisedPty } from '../../../src/tasks/supervisedPty';
import { pidsMatching, REPO, requireSharedCorpus, SHARED_CORPUS, waitFor } from '../../helpers/processes';

const logLines: string[] = [];
const logger = createLogger((level, line) => logLines.push(`${level} ${line}`), 'debug');

function startBackend(dir: string): BackendProcess {
  const backend = new BackendProcess({
    modulePath: join(REPO, 'server/backend.ts'),
    execArgv: ['--require', require.resolve('esbuild-register')],
    storePath: join(dir, 'flowforge.db'),
    port: 0,
    apiKey: async () => 'ffk_test_key_for_the_backend_0123456789',
    logger,
    logLevel: 'debug',
    initialBackoffMs: 200,
  });
  backend.start();
  return backend;
}

interface PtyResult {
  text: string;
  code: number;
}

class PtyHarness {
  readonly pty: SupervisedPty;
  text = '';
  readonly closed: Promise<number>;

  constructor(
    client: ApiClient,
    events: BackendEvents,
    backend: BackendProcess,
    body: z.input<typeof StartRunBody>,
    /** Where the terminal's stream connects; a test delays it to attach mid-run. */
    streamEndpoint: EndpointSource = () => backend.endpoint(),
  ) {
    this.pty = new SupervisedPty({ client, events, endpoint: streamEndpoint, logger, actor: 'api:vscode' }, body);
    this.pty.onDidWrite((t) => (this.text += t));
    this.closed = new Promise((resolve) => this.pty.onDidClose!((code) => resolve(code ?? 0)));
    this.pty.open({ columns: 120, rows: 30 });
  }

  async result(timeoutMs = 30_000): Promise<PtyResult> {
    const code = await Promise.race([
      this.closed,
      new Promise<number>((_, reject) => setTimeout(() => reject(new Error(`pty did not close; it showed:\n${this.text}`)), timeoutMs)),
    ]);
    return { text: this.text, code };
  }

  waitForText(re: RegExp, timeoutMs = 15_000): Promise<boolean> {
    return waitFor(() => re.test(this.text), timeoutMs).catch(() => {
      throw new Error(`terminal never showed ${re}; it showed:\n${this.text}`);
    });
  }
}

describe('extension backend process and task terminal (real processes)', function () {
  this.timeout(60_000);
  let dir: string;
  let backend: BackendProcess;
  let client: ApiClient;
  let events: BackendEvents;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ff-ext-int-'));
    backend = startBackend(dir);
    client = new ApiClient(() => backend.endpoint());
    events = new BackendEvents(() => backend.endpoint(), logger);
    backend.events.on('ready', (info) => events.attach(info));
    events.attach(await backend.ready());
  });

  after(async () => {
    events?.dispose();
    await backend?.shutdown('test over');
    rmSync(dir, { recursive: true, force: true });
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.error(logLines.filter((l) => !/GET \/v1|sampl/.test(l)).slice(-40).join('\n'));
  });

  const pty = (body: Omit<z.input<typeof StartRunBody>, 'cwd'>) => new PtyHarness(client, events, backend, { cwd: dir, ...body });

  it('hands the key over IPC: the API answers with it and refuses without it', async () => {
    const info = await backend.ready();
    assert.match(info.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal((await client.listRuns({ limit: 1 })).has_more, false);
    const res = await fetch(`${info.url}/v1/runs`);
    assert.equal(res.status, 401);
  });

  it('shows the output of a job that finishes before the stream connects, and its exit code', async () => {
    const { text, code } = await pty({ command: 'sh', args: ['-c', 'echo first line; echo second line; exit 3'] }).result();
    assert.equal(code, 3);
    assert.match(text, /first line\r\nsecond line\r\n/);
    assert.equal(text.match(/\nfirst line/g)?.length, 1, `shown once:\n${text}`);
  });

  it('streams a job that prints over time, in order and without repeats', async () => {
    const script = 'for i in $(seq 1 40); do echo "line $i"; sleep 0.02; done';
    const { text, code } = await pty({ command: script, shell: true }).result();
    assert.equal(code, 0);
    const numbers = [...text.matchAll(/line (\d+)/g)].map((m) => Number(m[1]));
    assert.deepEqual(numbers, Array.from({ length: 40 }, (_, i) => i + 1));
  });

  it('attached mid-run to a job printing numbered lines fast, shows every byte exactly once', async () => {
    const total = 6000;
    // About 6,000 lines (45 KB) a second: within what a terminal shows without skipping, so every byte must appear.
    const job = `let i = 0; const t = setInterval(() => { for (let k = 0; k < 60; k++) console.log('n ' + ++i); if (i >= ${total}) clearInterval(t); }, 10)`;
    const name = `numbered-${Date.now()}`;
    let attachedAt = -1;
    let runningAtAttach = false;
    // The terminal's stream connects only once the job has printed a good part of its output.
    const lateStream: EndpointSource = async () => {
      if (attachedAt < 0) {
        const run = await waitFor(async () => (await client.listRuns({ limit: 10, active: true })).items.find((r) => r.name === name), 10_000).then((r) => r!);
        await waitFor(async () => (await client.runOutput(run.id)).end >= 12_000, 10_000);
        attachedAt = (await client.runOutput(run.id)).end;
        runningAtAttach = (await client.getRun(run.id, 0)).active;
      }
      return backend.endpoint();
    };
    const h = new PtyHarness(client, events, backend, { cwd: dir, command: process.execPath, args: ['-e', job], name }, lateStream);
    const { text, code } = await h.result();
    assert.equal(code, 0);
    const expected = Array.from({ length: total }, (_, i) => `n ${i + 1}\r\n`).join('');
    assert.ok(attachedAt >= 12_000 && attachedAt < Buffer.byteLength(expected) && runningAtAttach, `attached mid-run (at byte ${attachedAt})`);
    const numbers = [...text.matchAll(/n (\d+)/g)].map((m) => Number(m[1]));
    const missing = Array.from({ length: total }, (_, i) => i + 1).filter((n) => !numbers.includes(n));
    assert.equal(numbers.length, total, `no line missing or repeated (attached at byte ${attachedAt}; missing ${missing.slice(0, 3)}…${missing.slice(-3)}; ${text.length} chars shown):\n${text.slice(0, 300)}\n…\n${text.slice(-600)}`);
    assert.deepEqual(numbers, Array.from({ length: total }, (_, i) => i + 1));
    assert.equal(text.split(expected).length, 2, 'the output appears once, byte for byte');
    assert.doesNotMatch(text, /not shown/);
  });

  it('forwards Ctrl+C as SIGINT to the job', async () => {
    const h = pty({ command: 'trap "echo got SIGINT; exit 5" INT; echo ready; while true; do sleep 0.1; done', shell: true });
    await h.waitForText(/ready/);
    h.pty.handleInput('\x03');
    const { text, code } = await h.result();
    assert.equal(code, 5);
    assert.match(text, /got SIGINT/);
  });

  it('writes typed lines to the job and echoes them', async () => {
    const h = pty({ command: 'read line; echo "you typed <$line>"', shell: true });
    await waitFor(() => h.text.includes('FlowForge ▸'), 10_000);
    await new Promise((r) => setTimeout(r, 300));
    h.pty.handleInput('abc\x7fd\r');
    const { text, code } = await h.result();
    assert.equal(code, 0);
    assert.match(text, /you typed <abd>/);
  });

  it('says why a job cannot start and ends with 127', async () => {
    const { text, code } = await pty({ command: 'definitely-not-a-program-ff' }).result();
    assert.equal(code, 127);
    assert.match(text, /FlowForge could not start this job/);
  });

  it('stops the job when the terminal is closed', async () => {
    const h = pty({ command: 'sleep', args: ['321'] });
    await waitFor(() => pidsMatching('sleep 321').length > 0, 10_000);
    h.pty.close();
    await waitFor(() => pidsMatching('sleep 321').length === 0, 10_000);
  });

  it('prints the banner and ends with 137 when FlowForge kills a runaway', async function () {
    requireSharedCorpus(this);
    const h = pty({ command: 'python3', args: [join(SHARED_CORPUS, 'R01_tight_loop.py')] });
    const { text, code } = await h.result(40_000);
    assert.equal(code, 137, text.slice(-2000));
    assert.match(text, /■ FlowForge stopped this job: .+/);
    assert.match(text, /Processing item/);
    assert.deepEqual(pidsMatching('R01_tight_loop.py'), []);
  });

  it('follows a restart to the next attempt and ends with that attempt\'s exit code', async () => {
    const h = pty({ command: process.execPath, args: ['-e', RUNAWAY_AGENT], on_runaway: 'restart', restartable: true, name: 'agent' });
    const { text, code } = await h.result(50_000);
    assert.equal(code, 0, text.slice(-2000));
    assert.match(text, /↻ FlowForge is restarting this job: .+/);
    assert.match(text, /attempt 1 ended; waiting for attempt 2/);
    assert.match(text, /all tests pass; done/);
  });

  it('restarts a backend that dies, on a new port, and the client follows', async () => {
    const before = await backend.ready();
    const exited = new Promise<BackendExit>((resolve) => {
      const off = backend.events.on('exit', (e) => (off(), resolve(e)));
    });
    process.kill(before.pid, 'SIGKILL');
    const exit = await exited;
    assert.equal(exit.signal, 'SIGKILL');
    const after = await backend.ready(20_000);
    assert.equal(after.generation, before.generation + 1);
    assert.notEqual(after.pid, before.pid);
    assert.equal((await client.listRuns({ limit: 1 })).items.length, 1);
  });

  it('shutdown stops every job before the backend exits', async () => {
    const other = startBackend(dir + '-2');
    try {
      const otherClient = new ApiClient(() => other.endpoint());
      await otherClient.startRun({ command: 'sleep', args: ['654'], cwd: dir });
      await waitFor(() => pidsMatching('sleep 654').length > 0, 10_000);
      await other.shutdown('test', 10_000);
      assert.deepEqual(pidsMatching('sleep 654'), []);
    } finally {
      rmSync(dir + '-2', { recursive: true, force: true });
    }
  });
});
