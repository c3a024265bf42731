// OTLP metrics requests (http/protobuf and http/json) turned into flat data
// points. Only what FlowForge reads is decoded: sums, gauges and histogram
// sums with their attributes, temporality and timestamps. The protobuf reader
// is hand-written for these few messages (the wire format is small and the
// OpenTelemetry JS packages no longer ship a request decoder); unknown fields
// are skipped as the format requires, so newer senders still decode.

export type Temporality = 'delta' | 'cumulative' | 'unspecified';

export interface MetricPoint {
  /** The instrument's name, e.g. claude_code.token.usage. */
  name: string;
  kind: 'sum' | 'gauge' | 'histogram';
  temporality: Temporality;
  /** A sum's value, a gauge's value, or a histogram point's sum (null when it has none). */
  value: number | null;
  /** Start of the point's interval, ms since the epoch (0 when not given): a new start means the series was reset. */
  startMs: number;
  timeMs: number;
  /** The point's attributes, then the resource's under `resource.` (a second agent process is a different series). */
  attributes: Record<string, string>;
}

export class OtlpDecodeError extends Error {
  override name = 'OtlpDecodeError';
}

// ------------------------------------------------------------------ protobuf

const TEMPORALITY: Record<number, Temporality> = { 1: 'delta', 2: 'cumulative' };

/** One protobuf message: its fields read one at a time. */
class Reader {
  pos: number;
  constructor(
    private readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  varint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new OtlpDecodeError('truncated varint');
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 128;
    }
    throw new OtlpDecodeError('varint too long');
  }

  /** The next field's number and wire type. */
  tag(): { field: number; wire: number } {
    const t = this.varint();
    return { field: Math.floor(t / 8), wire: t & 7 };
  }

  fixed64(): DataView {
    if (this.pos + 8 > this.end) throw new OtlpDecodeError('truncated fixed64');
    const view = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8);
    this.pos += 8;
    return view;
  }

  double(): number {
    return this.fixed64().getFloat64(0, true);
  }

  /** A fixed64 nanosecond timestamp as ms (precision below a ms does not matter here). */
  nanosAsMs(): number {
    return Number(this.fixed64().getBigUint64(0, true) / 1_000_000n);
  }

  sfixed64(): number {
    return Number(this.fixed64().getBigInt64(0, true));
  }

  /** A length-delimited field as a reader of its own. */
  sub(): Reader {
    const len = this.varint();
    if (this.pos + len > this.end) throw new OtlpDecodeError('truncated message');
    const r = new Reader(this.buf, this.pos, this.pos + len);
    this.pos += len;
    return r;
  }

  string(): string {
    const r = this.sub();
    return Buffer.from(this.buf.buffer, this.buf.byteOffset + r.pos, r.end - r.pos).toString('utf8');
  }

  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.sub();
    else if (wire === 5) this.pos += 4;
    else throw new OtlpDecodeError(`unsupported wire type ${wire}`);
    if (this.pos > this.end) throw new OtlpDecodeError('truncated field');
  }

  /** Calls `on` for every field; `on` returns false for fields it does not read. */
  each(on: (field: number, wire: number) => boolean): void {
    while (!this.done) {
      const { field, wire } = this.tag();
      if (!on(field, wire)) this.skip(wire);
    }
  }
}

/** AnyValue as text: strings as they are, numbers and booleans printed. */
function pbAnyValue(r: Reader): string {
  let out = '';
  r.each((field, wire) => {
    if (field === 1 && wire === 2) out = r.string();
    else if (field === 2 && wire === 0) out = r.varint() ? 'true' : 'false';
    else if (field === 3 && wire === 0) out = String(r.varint());
    else if (field === 4 && wire === 1) out = String(r.double());
    else return false;
    return true;
  });
  return out;
}

function pbKeyValue(r: Reader, into: Record<string, string>, prefix: string): void {
  let key = '';
  let value = '';
  r.each((field, wire) => {
    if (field === 1 && wire === 2) key = r.string();
    else if (field === 2 && wire === 2) value = pbAnyValue(r.sub());
    else return false;
    return true;
  });
  if (key) into[prefix + key] = value;
}

interface PointShape {
  attrField: number;
  /** A number data point (as_double 4, as_int 6) or a histogram's sum (5). */
  histogram: boolean;
}

function pbPoint(r: Reader, shape: PointShape, base: Omit<MetricPoint, 'value' | 'startMs' | 'timeMs' | 'attributes'>, resource: Record<string, string>): MetricPoint {
  const p: MetricPoint = { ...base, value: null, startMs: 0, timeMs: 0, attributes: {} };
  r.each((field, wire) => {
    if (field === shape.attrField && wire === 2) pbKeyValue(r.sub(), p.attributes, '');
    else if (field === 2 && wire === 1) p.startMs = r.nanosAsMs();
    else if (field === 3 && wire === 1) p.timeMs = r.nanosAsMs();
    else if (!shape.histogram && field === 4 && wire === 1) p.value = r.double();
    else if (!shape.histogram && field === 6 && wire === 1) p.value = r.sfixed64();
    else if (shape.histogram && field === 5 && wire === 1) p.value = r.double();
    else return false;
    return true;
  });
  Object.assign(p.attributes, resource);
  return p;
}

/** Gauge, Sum, Histogram or ExponentialHistogram: data points (1) and temporality (2). */
function pbData(r: Reader, name: string, kind: MetricPoint['kind'], shape: PointShape, resource: Record<string, string>, out: MetricPoint[]): void {
  const raw: Reader[] = [];
  let temporality: Temporality = 'unspecified';
  r.each((field, wire) => {
    if (field === 1 && wire === 2) raw.push(r.sub());
    else if (field === 2 && wire === 0) temporality = TEMPORALITY[r.varint()] ?? 'unspecified';
    else return false;
    return true;
  });
  for (const dp of raw) out.push(pbPoint(dp, shape, { name, kind, temporality }, resource));
}

const NUMBER: PointShape = { attrField: 7, histogram: false };
const HISTOGRAM: PointShape = { attrField: 9, histogram: true };
const EXP_HISTOGRAM: PointShape = { attrField: 1, histogram: true };

function pbMetric(r: Reader, resource: Record<string, string>, out: MetricPoint[]): void {
  let name = '';
  const data: { field: number; reader: Reader }[] = [];
  r.each((field, wire) => {
    if (field === 1 && wire === 2) name = r.string();
    else if ([5, 7, 9, 10].includes(field) && wire === 2) data.push({ field, reader: r.sub() });
    else return false;
    return true;
  });
  for (const { field, reader } of data) {
    if (field === 5) pbData(reader, name, 'gauge', NUMBER, resource, out);
    else if (field === 7) pbData(reader, name, 'sum', NUMBER, resource, out);
    else pbData(reader, name, 'histogram', field === 9 ? HISTOGRAM : EXP_HISTOGRAM, resource, out);
  }
}

function pbResource(r: Reader, into: Record<string, string>): void {
  r.each((field, wire) => (field === 1 && wire === 2 ? (pbKeyValue(r.sub(), into, 'resource.'), true) : false));
}

function pbResourceMetrics(r: Reader, out: MetricPoint[]): void {
  const resource: Record<string, string> = {};
  const scopes: Reader[] = [];
  r.each((field, wire) => {
    if (field === 1 && wire === 2) pbResource(r.sub(), resource);
    else if (field === 2 && wire === 2) scopes.push(r.sub());
    else return false;
    return true;
  });
  for (const scope of scopes) scope.each((field, wire) => (field === 2 && wire === 2 ? (pbMetric(scope.sub(), resource, out), true) : false));
}

/** An ExportMetricsServiceRequest in protobuf. */
export function decodeMetricsProtobuf(body: Uint8Array): MetricPoint[] {
  const out: MetricPoint[] = [];
  const r = new Reader(body);
  r.each((field, wire) => (field === 1 && wire === 2 ? (pbResourceMetrics(r.sub(), out), true) : false));
  return out;
}

// ------------------------------------------------------------------ JSON

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** OTLP/JSON writes 64-bit integers as strings or numbers, and enums as numbers or names. */
function jsonNumber(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return null;
}

function jsonNanosAsMs(v: unknown): number {
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(BigInt(v) / 1_000_000n);
  const n = jsonNumber(v);
  return n === null ? 0 : Math.floor(n / 1e6);
}

function jsonTemporality(v: unknown): Temporality {
  if (v === 1 || v === 'AGGREGATION_TEMPORALITY_DELTA') return 'delta';
  if (v === 2 || v === 'AGGREGATION_TEMPORALITY_CUMULATIVE') return 'cumulative';
  return 'unspecified';
}

function jsonAnyValue(v: Json): string {
  for (const k of ['stringValue', 'intValue', 'doubleValue', 'boolValue']) if (v[k] !== undefined && v[k] !== null) return String(v[k]);
  return '';
}

function jsonAttributes(v: unknown, into: Record<string, string>, prefix: string): void {
  for (const kv of list(v).map(obj)) if (typeof kv.key === 'string' && kv.key) into[prefix + kv.key] = jsonAnyValue(obj(kv.value));
}

const JSON_KINDS: { key: string; kind: MetricPoint['kind'] }[] = [
  { key: 'sum', kind: 'sum' },
  { key: 'gauge', kind: 'gauge' },
  { key: 'histogram', kind: 'histogram' },
  { key: 'exponentialHistogram', kind: 'histogram' },
];

function jsonMetric(m: Json, resource: Record<string, string>, out: MetricPoint[]): void {
  const name = typeof m.name === 'string' ? m.name : '';
  for (const { key, kind } of JSON_KINDS) {
    if (m[key] === undefined) continue;
    const data = obj(m[key]);
    const temporality = jsonTemporality(data.aggregationTemporality);
    for (const dp of list(data.dataPoints).map(obj)) {
      const attributes: Record<string, string> = {};
      jsonAttributes(dp.attributes, attributes, '');
      Object.assign(attributes, resource);
      const value = kind === 'histogram' ? jsonNumber(dp.sum) : (jsonNumber(dp.asDouble) ?? jsonNumber(dp.asInt));
      out.push({ name, kind, temporality, value, startMs: jsonNanosAsMs(dp.startTimeUnixNano), timeMs: jsonNanosAsMs(dp.timeUnixNano), attributes });
    }
  }
}

/** Which signal a JSON body carries (Gemini CLI posts all three to one URL). */
export function jsonSignal(body: unknown): 'metrics' | 'logs' | 'traces' | null {
  const o = obj(body);
  if (Array.isArray(o.resourceMetrics)) return 'metrics';
  if (Array.isArray(o.resourceLogs)) return 'logs';
  if (Array.isArray(o.resourceSpans)) return 'traces';
  return null;
}

/** An ExportMetricsServiceRequest in OTLP/JSON (already parsed). */
export function decodeMetricsJson(body: unknown): MetricPoint[] {
  const out: MetricPoint[] = [];
  for (const rm of list(obj(body).resourceMetrics).map(obj)) {
    const resource: Record<string, string> = {};
    jsonAttributes(obj(rm.resource).attributes, resource, 'resource.');
    for (const sm of list(rm.scopeMetrics).map(obj)) for (const m of list(sm.metrics).map(obj)) jsonMetric(m, resource, out);
  }
  return out;
}
