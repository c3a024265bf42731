// Process metrics of each supervised tree under the OpenTelemetry semantic
// convention names, fed from the readings the engine already takes every tick
// (no /proc read of our own). One tree = one set of series, named by the run
// (flowforge.run.id), its root pid and executable: the conventions put those
// on the resource, but one FlowForge supervises many trees, so they go on the
// points. Values are observed at collection time from the latest tick.
//
// The SDK keeps reporting every series an observable instrument ever saw
// (cumulative state lives as long as its MeterProvider), so in a long-lived
// backend the series of every ended run would go on for ever. Once ended runs
// have been flushed and forgotten, the next tick moves the instruments to a
// fresh provider and retires the old one.
import type { Attributes, BatchObservableCallback, BatchObservableResult, Meter, Observable } from '@opentelemetry/api';
import type { MeterProvider } from '@opentelemetry/sdk-metrics';
import { availableParallelism } from 'node:os';
import type { RunRef, TickFact } from './export';
import { redactAttributes } from './exportRedact';

interface TreeTotals {
  attrs: Attributes;
  /** Cumulative CPU seconds by mode; `unknown` where the source cannot split user from kernel time. */
  cpuUserS: number;
  cpuSystemS: number;
  cpuUnknownS: number;
  utilization: number | null;
  rssBytes: number;
  vsizeBytes: number;
  threads: number;
  procs: number;
  diskRead: number;
  diskWrite: number;
  ended: boolean;
}

/** The names this module exports (docs/operations.md lists them with their units). */
export const METRIC_NAMES = [
  'process.cpu.time',
  'process.cpu.utilization',
  'process.memory.usage',
  'process.memory.virtual',
  'process.disk.io',
  'process.thread.count',
  'flowforge.process.count',
] as const;

export class RunMetrics {
  private readonly trees = new Map<string, TreeTotals>();
  private readonly cores = Math.max(1, availableParallelism());
  private provider: MeterProvider;
  private unbind: () => void;
  /** Ended runs were forgotten: the provider still holds their series. */
  private stale = false;

  /**
   * @param makeProvider a MeterProvider with its exporting reader
   * @param retire called with a provider that is no longer used (shut it down)
   */
  constructor(
    private readonly makeProvider: () => MeterProvider,
    private readonly meterOf: (provider: MeterProvider) => Meter,
    private readonly retire: (old: MeterProvider) => void,
  ) {
    this.provider = makeProvider();
    this.unbind = this.bind(meterOf(this.provider));
  }

  /** The provider in use (what a flush or shutdown acts on). */
  get current(): MeterProvider {
    return this.provider;
  }

  private bind(meter: Meter): () => void {
    const cpuTime = meter.createObservableCounter('process.cpu.time', { unit: 's', description: 'CPU seconds used by the supervised process tree (children it reaped included)' });
    const utilization = meter.createObservableGauge('process.cpu.utilization', {
      unit: '1',
      description: 'CPU used by the tree since the last tick, divided by elapsed time and the number of CPUs',
    });
    const memory = meter.createObservableUpDownCounter('process.memory.usage', { unit: 'By', description: 'Resident memory of the tree (sum over its processes)' });
    const virtual = meter.createObservableUpDownCounter('process.memory.virtual', { unit: 'By', description: 'Virtual memory of the tree (sum over its processes)' });
    const disk = meter.createObservableCounter('process.disk.io', { unit: 'By', description: 'Storage bytes read and written by the tree' });
    const threads = meter.createObservableUpDownCounter('process.thread.count', { unit: '{thread}', description: 'Threads of the tree' });
    const procs = meter.createObservableUpDownCounter('flowforge.process.count', { unit: '{process}', description: 'Processes in the supervised tree' });
    const instruments: Observable[] = [cpuTime, utilization, memory, virtual, disk, threads, procs];
    const observe: BatchObservableCallback = (r: BatchObservableResult) => {
      for (const t of this.trees.values()) {
        const cpu = (mode: 'user' | 'system', v: number) => r.observe(cpuTime, v, { ...t.attrs, 'cpu.mode': mode, 'process.cpu.state': mode });
        cpu('user', t.cpuUserS);
        cpu('system', t.cpuSystemS);
        if (t.cpuUnknownS > 0) r.observe(cpuTime, t.cpuUnknownS, t.attrs);
        if (t.utilization !== null) r.observe(utilization, t.utilization, t.attrs);
        r.observe(memory, t.rssBytes, t.attrs);
        r.observe(virtual, t.vsizeBytes, t.attrs);
        r.observe(disk, t.diskRead, { ...t.attrs, 'disk.io.direction': 'read' });
        r.observe(disk, t.diskWrite, { ...t.attrs, 'disk.io.direction': 'write' });
        r.observe(threads, t.threads, t.attrs);
        r.observe(procs, t.procs, t.attrs);
      }
    };
    meter.addBatchObservableCallback(observe, instruments);
    return () => meter.removeBatchObservableCallback(observe, instruments);
  }

  tick(f: TickFact): void {
    if (this.stale) this.recycle();
    const t = this.trees.get(f.run.id) ?? this.add(f.run);
    if (f.cpuMs !== null) {
      if (f.cpuUserMs === null) t.cpuUnknownS += f.cpuMs / 1000;
      else {
        t.cpuUserS += f.cpuUserMs / 1000;
        t.cpuSystemS += Math.max(0, f.cpuMs - f.cpuUserMs) / 1000;
      }
    }
    t.utilization = f.cpuPercent === null ? t.utilization : f.cpuPercent / 100 / this.cores;
    t.rssBytes = f.rssBytes;
    t.vsizeBytes = f.vsizeBytes;
    t.threads = f.threads;
    t.procs = f.procs;
    if (f.disk) {
      t.diskRead += f.disk.read;
      t.diskWrite += f.disk.write;
    }
  }

  /** The run ended: its tree is gone; its last values go out with the next flush, then its series stop. */
  ended(runId: string): void {
    const t = this.trees.get(runId);
    if (!t) return;
    t.ended = true;
    t.rssBytes = t.vsizeBytes = t.threads = t.procs = 0;
    t.utilization = 0;
  }

  /** After a flush has sent the ended runs' last values: they are dropped. */
  forgetEnded(): void {
    for (const [id, t] of this.trees) {
      if (!t.ended) continue;
      this.trees.delete(id);
      this.stale = true;
    }
  }

  private recycle(): void {
    this.stale = false;
    this.unbind();
    const old = this.provider;
    this.provider = this.makeProvider();
    this.unbind = this.bind(this.meterOf(this.provider));
    this.retire(old);
  }

  private add(run: RunRef): TreeTotals {
    const t: TreeTotals = {
      attrs: redactAttributes({
        'flowforge.run.id': run.id,
        'flowforge.job.name': run.name,
        'process.executable.name': run.executable,
        ...(run.pid !== null ? { 'process.pid': run.pid } : {}),
      }),
      cpuUserS: 0,
      cpuSystemS: 0,
      cpuUnknownS: 0,
      utilization: null,
      rssBytes: 0,
      vsizeBytes: 0,
      threads: 0,
      procs: 0,
      diskRead: 0,
      diskWrite: 0,
      ended: false,
    };
    this.trees.set(run.id, t);
    return t;
  }
}
