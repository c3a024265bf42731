// The OpenTelemetry SDK side of FlowForge's export (loaded on demand by
// export.ts): the resource, one provider per signal with its OTLP/HTTP
// exporter (protobuf or JSON), and bounded flush and shutdown. Failed exports
// are one warning per signal (with the URL shown without credentials), never
// an error of the run: the job matters more than its telemetry.
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter as JsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Logger } from '../util/logger';
import type { ExportPipeline, Fact, ResourceIdentity } from './export';
import { displayUrl, type ExportConfig, type Signal, type SignalTarget } from './exportConfig';
import { IncidentLogs } from './exportLogs';
import { RunMetrics } from './exportMetrics';
import { RunSpans } from './exportSpans';
import { redactAttributes } from './exportRedact';

/** How long a flush or the final shutdown may take: a collector that is down must not hold the CLI's exit. */
export const FLUSH_DEADLINE_MS = 3000;

interface ExportResultLike {
  code: number;
  error?: Error;
}
interface Exporter<T> {
  export(items: T, done: (result: ExportResultLike) => void): void;
}

export function createPipeline(config: ExportConfig, logger: Logger, who: ResourceIdentity): ExportPipeline {
  const resource = resourceOf(config, who);
  // A collector that is down fails every export, flush and shutdown: the person hears about it once.
  const warn = oneWarning(logger);
  const warnOnce = failureWarner(warn);
  const { traces, metrics, logs } = config.targets;

  const tracerProvider = traces
    ? new BasicTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(watch(traceExporter(traces, config), 'traces', traces, warnOnce))] })
    : null;
  const makeMeterProvider = (target: SignalTarget) => () =>
    new MeterProvider({
      resource,
      readers: [
        new PeriodicExportingMetricReader({
          exporter: watch(metricExporter(target, config), 'metrics', target, warnOnce),
          exportIntervalMillis: config.metricIntervalMs,
          exportTimeoutMillis: Math.min(config.timeoutMs, config.metricIntervalMs),
        }),
      ],
    });
  const loggerProvider = logs
    ? new LoggerProvider({ resource, processors: [new BatchLogRecordProcessor({ exporter: watch(logExporter(logs, config), 'logs', logs, warnOnce) })] })
    : null;

  const scope = { name: 'flowforge', version: versionOf() };
  const spans = tracerProvider ? new RunSpans(tracerProvider.getTracer(scope.name, scope.version)) : null;
  const incidentLogs = loggerProvider ? new IncidentLogs(loggerProvider.getLogger(scope.name, scope.version)) : null;
  const where = [...new Set(Object.values(config.targets).map((t) => displayUrl(t.url)))].join(', ');
  const runMetrics = metrics
    ? new RunMetrics(
        makeMeterProvider(metrics),
        (p) => p.getMeter(scope.name, scope.version),
        (old) => void withinDeadline(old.shutdown(), warn, `metrics hand-over to ${where}`),
      )
    : null;
  const providers = () => [tracerProvider, runMetrics?.current ?? null, loggerProvider].filter((p) => p !== null);

  const flush = () => withinDeadline(Promise.all(providers().map((p) => p.forceFlush())), warn, `flush to ${where}`);
  let closing: Promise<void> | null = null;
  return {
    handle(fact: Fact) {
      switch (fact.kind) {
        case 'run':
          spans?.run(fact.run);
          if (fact.run.ended_at !== null) runMetrics?.ended(fact.run.id);
          return;
        case 'tick':
          runMetrics?.tick(fact);
          return;
        case 'decision':
          spans?.decision(fact);
          return;
        case 'incident':
          incidentLogs?.incident(fact);
          spans?.incident(fact);
          return;
      }
    },
    flush: async () => {
      await flush();
      // Series of ended runs are reported in the flush above, then dropped.
      runMetrics?.forgetEnded();
    },
    shutdown: () =>
      (closing ??= (async () => {
        spans?.endAll('FlowForge stopped exporting before the run ended');
        await withinDeadline(Promise.all(providers().map((p) => p.shutdown())), warn, `final send to ${where}`);
      })()),
  };
}

function resourceOf(config: ExportConfig, who: ResourceIdentity): Resource {
  return resourceFromAttributes(
    redactAttributes({
      // The user's own labels first: FlowForge's facts about itself win.
      ...config.resourceAttributes,
      [ATTR_SERVICE_NAME]: 'flowforge',
      [ATTR_SERVICE_VERSION]: versionOf(),
      'service.instance.id': randomUUID(),
      'host.name': who.hostName,
      ...(who.userName ? { 'user.name': who.userName } : {}),
      ...(who.userId ? { 'user.id': who.userId } : {}),
      'flowforge.workspace': who.workspace,
    }),
  );
}

/** Resolves when `work` settles or the deadline passes (then one warning): never rejects, never hangs. */
/** The first warning goes out; later ones only at debug level. */
function oneWarning(logger: Logger): (line: string) => void {
  let said = false;
  return (line) => {
    if (said) return logger.debug(line);
    said = true;
    logger.warn(`${line}; further export problems are not repeated`);
  };
}

async function withinDeadline(work: Promise<unknown>, warn: (line: string) => void, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), FLUSH_DEADLINE_MS);
    timer.unref();
  });
  try {
    const outcome = await Promise.race([work.then(() => 'done' as const), deadline]);
    if (outcome === 'late') warn(`OpenTelemetry export: ${what} did not finish within ${FLUSH_DEADLINE_MS / 1000} s; what was not sent is dropped`);
  } catch (err) {
    warn(`OpenTelemetry export: ${what} failed: ${(err as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
}

/** Says when an export failed, with the URL shown without credentials (header values never appear). */
function failureWarner(warn: (line: string) => void): (signal: Signal, target: SignalTarget, result: ExportResultLike) => void {
  return (signal, target, result) => {
    if (result.code !== 0) warn(`OpenTelemetry export of ${signal} to ${displayUrl(target.url)} failed (${result.error?.message ?? 'unknown error'}); FlowForge goes on without it`);
  };
}

/** The exporter as given, with its results watched. */
function watch<T extends Exporter<never>>(inner: T, signal: Signal, target: SignalTarget, onResult: ReturnType<typeof failureWarner>): T {
  return new Proxy(inner, {
    get(obj, prop) {
      if (prop === 'export') {
        return (items: never, done: (r: ExportResultLike) => void) =>
          obj.export(items, (result) => {
            onResult(signal, target, result);
            done(result);
          });
      }
      const value = Reflect.get(obj, prop, obj) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(obj) : value;
    },
  });
}

const exporterOptions = (target: SignalTarget, config: ExportConfig) => ({ url: target.url, headers: target.headers, timeoutMillis: config.timeoutMs });

function traceExporter(target: SignalTarget, config: ExportConfig) {
  const opts = exporterOptions(target, config);
  return target.protocol === 'http/json' ? new JsonTraceExporter(opts) : new ProtoTraceExporter(opts);
}

function metricExporter(target: SignalTarget, config: ExportConfig) {
  const opts = exporterOptions(target, config);
  return target.protocol === 'http/json' ? new JsonMetricExporter(opts) : new ProtoMetricExporter(opts);
}

function logExporter(target: SignalTarget, config: ExportConfig) {
  const opts = exporterOptions(target, config);
  return target.protocol === 'http/json' ? new JsonLogExporter(opts) : new ProtoLogExporter(opts);
}

let version: string | null = null;

/** FlowForge's version from its package.json (beside dist/, or two folders up from this source file). */
function versionOf(): string {
  if (version !== null) return version;
  version = 'unknown';
  for (let dir = __dirname, i = 0; i < 4; i++, dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'flowforge' && pkg.version) return (version = pkg.version);
    } catch {
      /* not here */
    }
  }
  return version;
}
