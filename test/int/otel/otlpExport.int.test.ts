// FlowForge's own OpenTelemetry export, end to end: the built CLI supervises a
// real runaway job with the standard OTEL_* variables pointing at a real
// OTLP/HTTP receiver on loopback, which decodes what arrives with the official
// protocol definitions. Also: with no configuration nothing is sent and the
// SDK is never loaded; a collector that is down costs one warning, not a hang.
import { strict as assert } from 'node:assert';
import { fork, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { hostname, tmpdir, userInfo } from 'node:os';
import { basename, join } from 'node:path';
import { generateApiKey } from '../../../server/shared/apiKeyGen';
import { attrs, OtlpReceiver, type KeyValue } from '../../helpers/otlpReceiver';
import { FIXTURES, REPO, waitFor } from '../../helpers/processes';

const CLI = join(REPO, 'dist', 'cli.js');
/** Records every module URL the CLI loads (a Node loader hook), to prove what was and was not parsed. */
const RECORD_MODULES = join(FIXTURES, 'otel', 'recordModules.mjs');

interface CliResult {
  code: number | null;
  stderr: string;
  stdout: string;
  ms: number;
}

function runCli(args: string[], env: NodeJS.ProcessEnv, cwd: string, nodeArgs: string[] = []): Promise<CliResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...nodeArgs, CLI, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    // A runaway prints hundreds of MB: keep the start of its output, all of flowforge's stderr.
    child.stdout.on('data', (d) => {
      if (stdout.length < 64 * 1024) stdout += String(d);
    });
    child.stderr.on('data', (d) => (stderr += String(d)));
    child.on('exit', (code) => resolve({ code, stdout, stderr, ms: Date.now() - started }));
  });
}

/** The environment of a test run: no OTEL_* or FlowForge variables from whoever runs the tests. */
function cleanEnv(dir: string, extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, XDG_STATE_HOME: dir };
  for (const k of Object.keys(env)) if (k.startsWith('OTEL_') || k.startsWith('FLOWFORGE_')) delete env[k];
  return { ...env, ...extra };
}

// Secrets shaped like real ones (what redaction must recognise), fresh each run.
const fakeOpenAiKey = `sk-proj-${randomBytes(24).toString('hex')}`;
const fakeGithubToken = `ghp_${randomBytes(18).toString('hex')}`;
const collectorToken = randomBytes(20).toString('hex');
const flowforgeOnlyToken = randomBytes(20).toString('hex');

/**
 * A runaway: spins at full CPU printing the same retry line, with its token in
 * its argv, its environment and its output, as a confused script would.
 */
const RUNAWAY = [
  'import os, sys',
  'tok = sys.argv[2]',
  'key = os.environ["OPENAI_API_KEY"]',
  'i = 0',
  'while True:',
  '    i += 1',
  '    print(f"retry {i}: POST /v1/chat Authorization: Bearer {key} token={tok}", flush=(i % 1000 == 0))',
].join('\n');

describe('OpenTelemetry export (OTLP/HTTP)', function () {
  this.timeout(90_000);
  let dir: string;
  let receiver: OtlpReceiver;

  before(() => {
    if (spawnSync(process.execPath, ['scripts/build.mjs', '--quiet', '--only=node'], { cwd: REPO, stdio: 'inherit' }).status !== 0) throw new Error('build failed');
  });
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ff-otel-'));
    receiver = await new OtlpReceiver().start();
  });
  afterEach(async () => {
    await receiver.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const protocol of ['http/protobuf', 'http/json'] as const) {
    it(`a real runaway run (${protocol}): metrics by their semantic-convention names, the run span with its decisions and exit code, the incident log record; no secret in any byte`, async () => {
      const modules = join(dir, 'modules.txt');
      const env = cleanEnv(dir, {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
        OTEL_EXPORTER_OTLP_HEADERS: `authorization=Bearer%20${collectorToken}`,
        OTEL_METRIC_EXPORT_INTERVAL: '1000',
        OPENAI_API_KEY: fakeOpenAiKey,
        FF_RECORD_MODULES: modules,
      });
      const r = await runCli(
        ['run', '--no-api', '--db', join(dir, 'store.db'), '--summary-json', join(dir, 'summary.json'), '--', 'python3', '-c', RUNAWAY, '--token', fakeGithubToken],
        env,
        dir,
        ['--import', RECORD_MODULES],
      );
      const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as { run_id: string; exit_code: number | null; signal: string | null; incident_ids: string[] };
      assert.equal(r.code, 137, r.stderr);
      assert.ok(summary.incident_ids.length >= 1, 'the runaway made an incident');

      // The collector's credential went in the header, as configured, and nowhere else.
      assert.ok(receiver.requests.length > 0, 'something was exported');
      for (const req of receiver.requests) {
        assert.equal(req.headers.authorization, `Bearer ${collectorToken}`);
        assert.match(req.contentType, protocol === 'http/json' ? /application\/json/ : /application\/x-protobuf/);
      }
      for (const secret of [fakeOpenAiKey, fakeGithubToken, collectorToken]) {
        for (const req of receiver.requests) assert.ok(!req.body.includes(secret), `a secret reached the collector in ${req.path}`);
        assert.ok(!r.stderr.includes(secret), 'a secret reached flowforge\'s stderr');
      }
      // The SDK was loaded for this run (the same probe proves it is not loaded without configuration).
      assert.ok(readFileSync(modules, 'utf8').includes('exportSdk'), 'the export chunk was loaded');

      // Resource: who and where.
      const traces = receiver.decoded<ExportTraces>('traces');
      const resource = attrs(traces[0]!.resourceSpans[0]!.resource.attributes);
      assert.equal(resource['service.name'], 'flowforge');
      assert.equal(typeof resource['service.version'], 'string');
      assert.equal(resource['host.name'], hostname());
      assert.equal(resource['user.name'], userInfo().username);
      assert.equal(resource['flowforge.workspace'], basename(dir));

      // The run span: CLI conventions, the kill decision as an event, the exit code.
      const spans = traces.flatMap((t) => t.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)));
      const run = spans.find((s) => attrs(s.attributes)['flowforge.run.id'] === summary.run_id);
      assert.ok(run, `a span for run ${summary.run_id}`);
      const a = attrs(run.attributes);
      assert.equal(run.name, 'python3');
      assert.equal(Number(run.kind), 3, 'SPAN_KIND_CLIENT: FlowForge ran the program');
      assert.equal(a['process.executable.name'], 'python3');
      assert.equal(typeof a['process.pid'], 'number');
      const expectedExit = summary.exit_code ?? 128 + ({ SIGTERM: 15, SIGKILL: 9, SIGINT: 2 } as Record<string, number>)[summary.signal!]!;
      assert.equal(a['process.exit.code'], expectedExit);
      assert.equal(a['error.type'], String(expectedExit));
      assert.equal(a['flowforge.run.end_reason'], 'killed');
      const args = a['process.command_args'] as string[];
      assert.deepEqual(args.slice(0, 2), ['python3', '-c']);
      assert.equal(args[3], '--token');
      assert.notEqual(args[4], fakeGithubToken);
      assert.match(String(args[4]), /REDACTED/);
      assert.equal(Number(run.status?.code), 2, 'STATUS_CODE_ERROR');
      const decisions = (run.events ?? []).filter((e) => e.name === 'flowforge.decision').map((e) => attrs(e.attributes));
      const kill = decisions.find((d) => d['flowforge.decision.action'] === 'kill');
      assert.ok(kill, `a kill decision among ${JSON.stringify(decisions)}`);
      assert.equal(typeof kill['flowforge.rule'], 'string');
      assert.notEqual(kill['flowforge.rule'], 'none');
      assert.ok((kill['flowforge.confidence'] as number) > 0 && (kill['flowforge.confidence'] as number) <= 1);
      assert.equal(kill['flowforge.incident.id'], summary.incident_ids[0]);

      // Metrics of the tree under the semantic-convention names, for this run.
      const metrics = receiver.decoded<ExportMetrics>('metrics').flatMap((m) => m.resourceMetrics.flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics)));
      const points = (name: string) =>
        metrics.filter((m) => m.name === name).flatMap((m) => (m.sum ?? m.gauge)?.dataPoints ?? []).filter((p) => attrs(p.attributes)['flowforge.run.id'] === summary.run_id);
      for (const name of ['process.cpu.time', 'process.cpu.utilization', 'process.memory.usage', 'process.memory.virtual', 'process.disk.io', 'process.thread.count', 'flowforge.process.count']) {
        assert.ok(points(name).length > 0, `metric ${name} for the run (got ${[...new Set(metrics.map((m) => m.name))].join(', ')})`);
      }
      const value = (p: NumberPoint) => p.asDouble ?? Number(p.asInt ?? 0);
      const cpuUser = Math.max(...points('process.cpu.time').filter((p) => attrs(p.attributes)['cpu.mode'] === 'user').map(value));
      // A loaded machine may give it a small share of a core: any user-mode CPU counts.
      assert.ok(cpuUser > 0.05, `a spinning job used CPU in user mode (${cpuUser} s)`);
      assert.ok(points('process.cpu.time').some((p) => attrs(p.attributes)['process.cpu.state'] === 'system'));
      assert.ok(Math.max(...points('process.memory.usage').map(value)) > 1e6, 'python3 has more than 1 MB resident');
      assert.deepEqual(new Set(points('process.disk.io').map((p) => attrs(p.attributes)['disk.io.direction'])), new Set(['read', 'write']));
      assert.ok(Math.max(...points('process.thread.count').map(value)) >= 1);

      // The incident as a log record: severity by action, the explanation as body.
      const logs = receiver.decoded<ExportLogs>('logs').flatMap((l) => l.resourceLogs.flatMap((rl) => rl.scopeLogs.flatMap((sl) => sl.logRecords)));
      const incident = logs.find((l) => attrs(l.attributes)['flowforge.incident.id'] === summary.incident_ids[0] && attrs(l.attributes)['flowforge.action'] === 'kill');
      assert.ok(incident, `an incident log record among ${logs.length}`);
      assert.equal(Number(incident.severityNumber), 17, 'SEVERITY_NUMBER_ERROR for a kill');
      assert.equal(incident.severityText, 'ERROR');
      const la = attrs(incident.attributes);
      assert.equal(la['flowforge.run.id'], summary.run_id);
      assert.equal(typeof la['flowforge.rule'], 'string');
      assert.match(String(incident.body?.stringValue), /\S/);

      // What a collector received, for docs/operations.md.
      process.stdout.write(`      payload bytes (${protocol}): ${JSON.stringify(receiver.bytesBySignal())} in ${receiver.requests.length} requests\n`);
    });
  }

  it('with no configuration nothing is sent and the SDK is not loaded; OTEL_SDK_DISABLED=true wins over an endpoint', async () => {
    // The default OTLP/HTTP port: an SDK with no endpoint configured would send here.
    const defaultPort = await portIsFree(4318);
    const atDefault = defaultPort ? await new OtlpReceiver().start(4318) : null;
    try {
      const modules = join(dir, 'modules.txt');
      const plain = await runCli(['run', '--no-api', '--db', join(dir, 'a.db'), '--', 'true'], cleanEnv(dir, { FF_RECORD_MODULES: modules }), dir, ['--import', RECORD_MODULES]);
      assert.equal(plain.code, 0, plain.stderr);
      const loaded = readFileSync(modules, 'utf8');
      assert.ok(loaded.includes('/dist/cli.mjs'), 'the probe saw the CLI load');
      assert.ok(!/exportSdk|opentelemetry/i.test(loaded), 'no OpenTelemetry code was loaded');
      writeFileSync(modules, '');
      const disabled = await runCli(
        ['run', '--no-api', '--db', join(dir, 'b.db'), '--otlp-endpoint', receiver.url, '--', 'true'],
        cleanEnv(dir, { OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, FF_RECORD_MODULES: modules }),
        dir,
        ['--import', RECORD_MODULES],
      );
      assert.equal(disabled.code, 0, disabled.stderr);
      assert.ok(!/exportSdk|opentelemetry/i.test(readFileSync(modules, 'utf8')), 'OTEL_SDK_DISABLED: nothing loaded');
      assert.match(disabled.stderr, /OpenTelemetry export is off \(OTEL_SDK_DISABLED=true\), although an endpoint was given/);
      assert.equal(receiver.connections, 0, 'nothing reached the configured receiver');
      if (atDefault) assert.equal(atDefault.connections, 0, 'nothing reached the default port 4318');
      else process.stdout.write('      (port 4318 is in use here: the default-port check was skipped)\n');
    } finally {
      await atDefault?.close();
    }
  });

  it('a collector that is down: one warning, the job\'s exit code, and no hang at exit', async () => {
    const deadPort = await freePort();
    const r = await runCli(['run', '--no-api', '--db', join(dir, 'store.db'), '--otlp-endpoint', `http://127.0.0.1:${deadPort}`, '--', 'sh', '-c', 'exit 3'], cleanEnv(dir, {}), dir);
    assert.equal(r.code, 3, r.stderr);
    const warnings = r.stderr.split('\n').filter((l) => /OpenTelemetry export/.test(l));
    assert.equal(warnings.length, 1, `one warning: ${r.stderr}`);
    assert.ok(r.ms < 15_000, `exit took ${r.ms} ms`);
  });

  it('a black-hole collector (accepts, never answers): the CLI still exits within the flush deadline', async () => {
    const hole = createServer(() => undefined); // holds every connection open, says nothing
    await new Promise<void>((resolve) => hole.listen(0, '127.0.0.1', () => resolve()));
    try {
      const port = (hole.address() as { port: number }).port;
      const r = await runCli(['run', '--no-api', '--db', join(dir, 'store.db'), '--otlp-endpoint', `http://127.0.0.1:${port}`, '--', 'true'], cleanEnv(dir, {}), dir);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /did not finish within 3 s/);
      assert.equal(r.stderr.split('\n').filter((l) => /OpenTelemetry export/.test(l)).length, 1, r.stderr);
      assert.ok(r.ms < 20_000, `exit took ${r.ms} ms`);
    } finally {
      hole.close();
    }
  });

  it('FLOWFORGE_OTLP_HEADERS reaches the collector but never the job (not in its environment, not in /proc/$PPID/environ)', async () => {
    const seen = join(dir, 'seen.txt');
    const job = `import os; open(${JSON.stringify(seen)}, "w").write(str(os.environ.get("FLOWFORGE_OTLP_HEADERS")) + "\\n" + open(f"/proc/{os.getppid()}/environ", "rb").read().decode("latin1"))`;
    const r = await runCli(
      ['run', '--no-api', '--db', join(dir, 'store.db'), '--', 'python3', '-c', job],
      cleanEnv(dir, { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, FLOWFORGE_OTLP_HEADERS: `x-team-token=${flowforgeOnlyToken}` }),
      dir,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.ok(existsSync(seen));
    const what = readFileSync(seen, 'utf8');
    assert.ok(what.startsWith('None\n'), 'the job has no FLOWFORGE_OTLP_HEADERS');
    assert.ok(!what.includes(flowforgeOnlyToken), 'nor can it read it from its supervisor\'s initial environment');
    assert.ok(receiver.requests.length > 0);
    for (const req of receiver.requests) assert.equal(req.headers['x-team-token'], flowforgeOnlyToken);
  });

  it('the VS Code backend (forked with IPC) exports to the flowforge.telemetry.otlpEndpoint setting it is given; the SDK comes from its own file beside the bundle', async () => {
    const admin = generateApiKey();
    const backend = fork(join(REPO, 'dist', 'backend.js'), [], {
      cwd: dir,
      // The endpoint comes from the setting (the init message), the protocol from the editor's environment.
      env: cleanEnv(dir, { ELECTRON_RUN_AS_NODE: '1', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }),
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    backend.stderr!.on('data', (d) => (stderr += String(d)));
    const exited = new Promise((resolve) => backend.on('exit', resolve));
    try {
      const ready = new Promise<{ url: string }>((resolve, reject) => {
        backend.on('message', (m: { type: string; url?: string; message?: string }) => {
          if (m.type === 'ready') resolve({ url: m.url! });
          if (m.type === 'fatal') reject(new Error(m.message));
        });
      });
      backend.send({
        type: 'init',
        admin_key: admin,
        store_path: join(dir, 'flowforge.db'),
        port: 0,
        log_level: 'info',
        parent_pid: process.pid,
        otlp_endpoint: receiver.url,
        workspace_name: 'my-project',
      });
      const { url } = await ready;
      const res = await fetch(`${url}/v1/runs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: JSON.stringify({ command: 'sh', args: ['-c', 'sleep 0.3; exit 4'], cwd: dir }),
      });
      const text = await res.text();
      assert.equal(res.status, 201, text);
      const runId = (JSON.parse(text) as { run: { id: string } }).run.id;
      // A run's end is flushed at once, without waiting for the shutdown.
      await waitFor(() => receiver.decoded<ExportTraces>('traces').some((t) => t.resourceSpans.some((rs) => rs.scopeSpans.some((ss) => ss.spans.some((sp) => attrs(sp.attributes)['flowforge.run.id'] === runId)))), 20_000);
      const span = receiver
        .decoded<ExportTraces>('traces')
        .flatMap((t) => t.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)))
        .find((sp) => attrs(sp.attributes)['flowforge.run.id'] === runId)!;
      assert.equal(span.name, 'sh');
      assert.equal(attrs(span.attributes)['process.exit.code'], 4);
      assert.equal(attrs(span.attributes)['flowforge.run.source'], 'api');
      const resource = attrs(receiver.decoded<ExportTraces>('traces')[0]!.resourceSpans[0]!.resource.attributes);
      assert.equal(resource['flowforge.workspace'], 'my-project');
    } finally {
      backend.send({ type: 'shutdown', reason: 'test over' });
      await exited;
    }
    assert.ok(!/OpenTelemetry export/.test(stderr), stderr);
  });

  it('a configuration that cannot work is one clear warning; the job runs; a bad --otlp-endpoint is a usage error', async () => {
    const grpc = await runCli(['run', '--no-api', '--db', join(dir, 'a.db'), '--', 'sh', '-c', 'echo ran'], cleanEnv(dir, { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }), dir);
    assert.equal(grpc.code, 0);
    assert.match(grpc.stdout, /ran/);
    assert.match(grpc.stderr, /OTEL_EXPORTER_OTLP_PROTOCOL=grpc is not supported.*http\/protobuf/);
    assert.equal(receiver.connections, 0);
    const bad = await runCli(['run', '--otlp-endpoint', 'localhost:4318', '--', 'true'], cleanEnv(dir, {}), dir);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--otlp-endpoint needs an http:\/\/ or https:\/\/ URL/);
  });
});

interface NumberPoint {
  attributes?: KeyValue[];
  asDouble?: number;
  asInt?: number | string;
}
interface ExportMetrics {
  resourceMetrics: { scopeMetrics: { metrics: { name: string; sum?: { dataPoints: NumberPoint[] }; gauge?: { dataPoints: NumberPoint[] } }[] }[] }[];
}
interface ExportTraces {
  resourceSpans: {
    resource: { attributes: KeyValue[] };
    scopeSpans: {
      spans: { name: string; kind: number; attributes?: KeyValue[]; status?: { code?: number }; events?: { name: string; attributes?: KeyValue[] }[] }[];
    }[];
  }[];
}
interface ExportLogs {
  resourceLogs: { scopeLogs: { logRecords: { severityNumber: number; severityText?: string; body?: { stringValue?: string }; attributes?: KeyValue[] }[] }[] }[];
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
