// Whether FlowForge exports its own telemetry over OTLP/HTTP, and where to.
// Off unless something asks for it: nothing leaves the machine by default.
// Read from the standard OpenTelemetry variables, plus FlowForge's own
// `--otlp-endpoint` flag / `flowforge.telemetry.otlpEndpoint` setting and the
// FLOWFORGE_OTLP_HEADERS variable (credentials for FlowForge alone: it is
// never passed to a job, see supervisor/childEnv.ts). Pure: no SDK here, so
// deciding "off" costs nothing.

export const SIGNALS = ['traces', 'metrics', 'logs'] as const;
export type Signal = (typeof SIGNALS)[number];

export const PROTOCOLS = ['http/protobuf', 'http/json'] as const;
export type OtlpProtocol = (typeof PROTOCOLS)[number];

export interface SignalTarget {
  url: string;
  protocol: OtlpProtocol;
  /** Header values are credentials: never logged, never shown. */
  headers: Record<string, string>;
}

export interface ExportConfig {
  targets: Partial<Record<Signal, SignalTarget>>;
  /** Per export request (OTEL_EXPORTER_OTLP_TIMEOUT). */
  timeoutMs: number;
  /** How often metrics are sent while runs go on (OTEL_METRIC_EXPORT_INTERVAL). */
  metricIntervalMs: number;
  /** Extra resource attributes (OTEL_RESOURCE_ATTRIBUTES), e.g. a team or CI runner label. */
  resourceAttributes: Record<string, string>;
}

/** What FlowForge itself was given besides the environment (flag or editor setting). */
export interface ExportOptions {
  /** Base URL like OTEL_EXPORTER_OTLP_ENDPOINT; wins over the environment's base URL. */
  endpoint?: string | null;
}

export class ExportConfigError extends Error {}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_METRIC_INTERVAL_MS = 60_000;
const SIGNAL_PATH: Record<Signal, string> = { traces: 'v1/traces', metrics: 'v1/metrics', logs: 'v1/logs' };
const SIGNAL_EXPORTER_VAR: Record<Signal, string> = { traces: 'OTEL_TRACES_EXPORTER', metrics: 'OTEL_METRICS_EXPORTER', logs: 'OTEL_LOGS_EXPORTER' };

/** The variables this module reads (documented in docs/operations.md). */
export const FLOWFORGE_HEADERS_VAR = 'FLOWFORGE_OTLP_HEADERS';

type Env = Record<string, string | undefined>;

/** OTEL_SDK_DISABLED=true: no export at all, whatever else is set. */
export const sdkDisabled = (env: Env): boolean => (env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true';
const nonEmpty = (v: string | undefined) => (v !== undefined && v.trim() !== '' ? v.trim() : undefined);

/**
 * The export configuration, or null when nothing asks for an export (or
 * OTEL_SDK_DISABLED=true). Throws ExportConfigError with an actionable message
 * on a value that cannot work (a bad URL, grpc); callers warn and run without
 * export, since the job matters more than its telemetry.
 */
export function exportConfigFrom(env: Env, opts: ExportOptions = {}): ExportConfig | null {
  if (sdkDisabled(env)) return null;
  const base = nonEmpty(opts.endpoint ?? undefined) ?? nonEmpty(env.OTEL_EXPORTER_OTLP_ENDPOINT);
  const baseHeaders = { ...parseHeaders(env.OTEL_EXPORTER_OTLP_HEADERS, 'OTEL_EXPORTER_OTLP_HEADERS'), ...parseHeaders(env[FLOWFORGE_HEADERS_VAR], FLOWFORGE_HEADERS_VAR) };
  const baseProtocol = protocolOf(env.OTEL_EXPORTER_OTLP_PROTOCOL, 'OTEL_EXPORTER_OTLP_PROTOCOL') ?? 'http/protobuf';
  const targets: Partial<Record<Signal, SignalTarget>> = {};
  for (const signal of SIGNALS) {
    const upper = signal.toUpperCase();
    if ((env[SIGNAL_EXPORTER_VAR[signal]] ?? '').trim().toLowerCase() === 'none') continue;
    const own = nonEmpty(env[`OTEL_EXPORTER_OTLP_${upper}_ENDPOINT`]);
    // A signal's own endpoint is used as given; the base gets the signal's path appended.
    const url = own ? checkUrl(own, `OTEL_EXPORTER_OTLP_${upper}_ENDPOINT`) : base ? joinPath(checkUrl(base, opts.endpoint ? '--otlp-endpoint' : 'OTEL_EXPORTER_OTLP_ENDPOINT'), SIGNAL_PATH[signal]) : null;
    if (!url) continue;
    targets[signal] = {
      url,
      protocol: protocolOf(env[`OTEL_EXPORTER_OTLP_${upper}_PROTOCOL`], `OTEL_EXPORTER_OTLP_${upper}_PROTOCOL`) ?? baseProtocol,
      headers: { ...baseHeaders, ...parseHeaders(env[`OTEL_EXPORTER_OTLP_${upper}_HEADERS`], `OTEL_EXPORTER_OTLP_${upper}_HEADERS`) },
    };
  }
  if (Object.keys(targets).length === 0) return null;
  return {
    targets,
    timeoutMs: positiveMs(env.OTEL_EXPORTER_OTLP_TIMEOUT, 'OTEL_EXPORTER_OTLP_TIMEOUT') ?? DEFAULT_TIMEOUT_MS,
    metricIntervalMs: positiveMs(env.OTEL_METRIC_EXPORT_INTERVAL, 'OTEL_METRIC_EXPORT_INTERVAL') ?? DEFAULT_METRIC_INTERVAL_MS,
    resourceAttributes: parseHeaders(env.OTEL_RESOURCE_ATTRIBUTES, 'OTEL_RESOURCE_ATTRIBUTES'),
  };
}

function checkUrl(value: string, name: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ExportConfigError(`${name} is not a URL (expected e.g. http://localhost:4318)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ExportConfigError(`${name} must be an http:// or https:// URL (OTLP over HTTP), not ${url.protocol}`);
  return url.toString();
}

function joinPath(base: string, path: string): string {
  return base.endsWith('/') ? base + path : `${base}/${path}`;
}

function protocolOf(value: string | undefined, name: string): OtlpProtocol | undefined {
  const v = nonEmpty(value);
  if (v === undefined) return undefined;
  if ((PROTOCOLS as readonly string[]).includes(v)) return v as OtlpProtocol;
  if (v === 'grpc') throw new ExportConfigError(`${name}=grpc is not supported: FlowForge exports OTLP over HTTP; use http/protobuf (port 4318) or http/json`);
  throw new ExportConfigError(`${name}=${v} is not a protocol FlowForge knows: use http/protobuf or http/json`);
}

function positiveMs(value: string | undefined, name: string): number | undefined {
  const v = nonEmpty(value);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new ExportConfigError(`${name} must be a positive number of milliseconds, not ${v}`);
  return n;
}

/**
 * `key1=value1,key2=value2` with URL-encoded values (the OTLP exporter's
 * format for headers and resource attributes). A malformed entry names the
 * variable and the key, never the value (it is often a credential).
 */
export function parseHeaders(value: string | undefined, name: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of (value ?? '').split(',')) {
    if (entry.trim() === '') continue;
    const eq = entry.indexOf('=');
    const key = (eq < 0 ? entry : entry.slice(0, eq)).trim();
    // The entry itself is not quoted: without its '=' it may be a bare credential.
    if (eq < 0 || key === '') throw new ExportConfigError(`${name}: an entry ${eq < 0 ? "has no '='" : 'has an empty key'} (expected key=value,key2=value2)`);
    try {
      out[key] = decodeURIComponent(entry.slice(eq + 1).trim());
    } catch {
      throw new ExportConfigError(`${name}: the value of '${key}' is not valid URL encoding`);
    }
  }
  return out;
}

/** A URL as it may be shown: no user, password, query or fragment (they can carry credentials). */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}
