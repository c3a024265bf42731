// The drill-down curves: CPU, memory and repetition of one run over time, with
// the decision marked (a line on the canvas plus a labelled DOM marker and a
// legend entry) and the thresholds the decision used. uPlot draws on canvas;
// its colors come from the theme variables and are re-read on a theme change.
import uPlot from 'uplot';
import type { Decision, Sample } from '../server/shared/protocol/domain';
import { h, icon, replace } from './dom';
import { clock, num, percent } from './format';
import { chartColors, type ChartColors } from './theme';

interface CurveDef {
  key: 'cpu' | 'memory' | 'repetition';
  title: string;
  unit: string;
  /** The signal in Decision.signals whose threshold belongs on this chart. */
  signal: string;
  value(s: Sample): number | null;
  color(c: ChartColors): string;
  format(v: number): string;
  /** Fixed y range, or the floor of the top of the range. */
  fixed?: [number, number];
  minTop: number;
}

const curves: CurveDef[] = [
  {
    key: 'cpu',
    title: 'CPU (whole process tree)',
    unit: '%',
    signal: 'cpu',
    value: (s) => s.cpu_percent,
    color: (c) => c.cpu,
    format: (v) => `${num(v)} %`,
    minTop: 100,
  },
  {
    key: 'memory',
    title: 'Memory (RSS, whole tree)',
    unit: 'MB',
    signal: 'memory',
    value: (s) => s.rss_mb,
    color: (c) => c.memory,
    format: (v) => `${num(v)} MB`,
    minTop: 64,
  },
  {
    key: 'repetition',
    title: 'Repetition of recent output',
    unit: '',
    signal: 'repetition',
    value: (s) => s.repetition,
    color: (c) => c.repetition,
    format: (v) => percent(v),
    fixed: [0, 1],
    minTop: 1,
  },
];

/** Seconds shown before and after the decision; a job still running shows up to its latest sample. */
const BEFORE_S = 600;
const AFTER_S = 600;
const CHART_HEIGHT = 128;

export interface ChartInput {
  samples: Sample[];
  decisions: Decision[];
  selected: Decision | null;
  /** The run is still going: the window follows new samples. */
  live: boolean;
}

export class RunCharts {
  readonly element: HTMLElement;
  private readonly plotsEl: HTMLElement;
  private readonly legendEl: HTMLElement;
  private readonly readout: HTMLElement;
  private readonly summaryEl: HTMLElement;
  private plots: uPlot[] = [];
  private readonly syncKey = `ff-sync-${Math.random().toString(36).slice(2)}`;
  private readonly resize: ResizeObserver;

  constructor(private input: ChartInput) {
    this.plotsEl = h('div', { class: 'charts-plots' });
    this.legendEl = h('ul', { class: 'chart-legend', 'aria-label': 'Chart legend' });
    this.readout = h('p', { class: 'chart-readout', 'aria-hidden': 'true' }, 'Point at a chart to read the values.');
    this.summaryEl = h('ul', { class: 'chart-summary', 'aria-label': 'What the curves show' });
    this.element = h('div', { class: 'charts' }, this.legendEl, this.plotsEl, this.readout, this.summaryEl);
    this.resize = new ResizeObserver(() => this.fitWidth());
    this.resize.observe(this.plotsEl);
    this.build();
  }

  /** New samples or decisions (live updates): redraw with the same charts. */
  update(input: ChartInput): void {
    this.input = input;
    const data = this.data();
    for (const [i, p] of this.plots.entries()) p.setData([data.xs, data.ys[i] ?? []]);
    this.renderSummary();
  }

  /** The theme changed: colors live in the canvas, so build the charts again. */
  retheme(): void {
    this.build();
  }

  destroy(): void {
    this.resize.disconnect();
    for (const p of this.plots) p.destroy();
    this.plots = [];
  }

  private build(): void {
    for (const p of this.plots) p.destroy();
    const colors = chartColors();
    const data = this.data();
    const width = this.width();
    replace(this.plotsEl);
    this.plots = curves.map((def, i) => {
      const wrap = h('figure', { class: `chart chart-${def.key}`, 'data-curve': def.key });
      wrap.appendChild(h('figcaption', { class: 'chart-title' }, def.title));
      this.plotsEl.appendChild(wrap);
      return new uPlot(this.options(def, colors, width), [data.xs, data.ys[i] ?? []], wrap);
    });
    this.renderLegend(colors);
    this.renderSummary();
  }

  private data(): { xs: number[]; ys: (number | null)[][] } {
    const xs = this.input.samples.map((s) => s.t / 1000);
    return { xs, ys: curves.map((def) => this.input.samples.map((s) => def.value(s))) };
  }

  private width(): number {
    return Math.max(280, Math.floor(this.plotsEl.clientWidth || this.element.clientWidth || 640));
  }

  private fitWidth(): void {
    const width = this.width();
    for (const p of this.plots) if (Math.abs(p.width - width) > 1) p.setSize({ width, height: CHART_HEIGHT });
  }

  /** The x window: around the decision, clipped to the samples there are. */
  private xRange(dataMin: number, dataMax: number): [number, number] {
    const d = this.input.selected;
    if (!d || !Number.isFinite(dataMin)) return [dataMin, dataMax === dataMin ? dataMin + 1 : dataMax];
    const t = d.t / 1000;
    const lo = Math.min(Math.max(dataMin, t - BEFORE_S), t);
    const hi = this.input.live ? Math.max(dataMax, t) : Math.max(Math.min(dataMax, t + AFTER_S), t);
    return hi > lo ? [lo, hi] : [lo - 1, hi + 1];
  }

  private threshold(def: CurveDef): number | null {
    const sig = this.input.selected?.signals.find((s) => s.name === def.signal);
    return sig?.threshold ?? null;
  }

  private options(def: CurveDef, c: ChartColors, width: number): uPlot.Options {
    const threshold = this.threshold(def);
    const axis = { stroke: c.axis, font: c.font, grid: { stroke: c.grid, width: 1 }, ticks: { stroke: c.grid, width: 1 } };
    return {
      width,
      height: CHART_HEIGHT,
      padding: [8, 36, 0, 0],
      legend: { show: false },
      cursor: { sync: { key: this.syncKey }, drag: { x: false, y: false } },
      scales: {
        x: { time: true, range: (_u, min, max) => this.xRange(min, max) },
        y: { range: (_u, _min, max) => def.fixed ?? [0, yTop(def, max ?? 0, threshold)] },
      },
      axes: [
        { ...axis, size: 30, space: 90, values: (_u, ticks) => ticks.map((v) => clock(v * 1000)) },
        { ...axis, size: 72, values: (_u, ticks) => ticks.map((v) => def.format(v)) },
      ],
      series: [{}, { label: def.title, stroke: def.color(c), width: 2, spanGaps: false, points: { show: false } }],
      hooks: {
        draw: [(u) => this.drawMarks(u, def, c, threshold)],
        setCursor: [(u) => this.showReadout(u)],
      },
    };
  }

  /** The threshold line and the other decisions' lines, over the curves. */
  private drawMarks(u: uPlot, def: CurveDef, c: ChartColors, threshold: number | null): void {
    const { ctx } = u;
    const { left, top, width, height } = u.bbox;
    const dpr = window.devicePixelRatio || 1;
    ctx.save();
    ctx.lineWidth = 2 * dpr;
    if (threshold !== null) {
      const y = u.valToPos(threshold, 'y', true);
      if (y >= top && y <= top + height) {
        ctx.strokeStyle = c.threshold;
        ctx.setLineDash([6 * dpr, 4 * dpr]);
        ctx.beginPath();
        ctx.moveTo(left, y);
        ctx.lineTo(left + width, y);
        ctx.stroke();
      }
    }
    // The selected decision is a DOM marker (placeMarker); the others are faint dashed lines.
    ctx.strokeStyle = c.decision;
    ctx.globalAlpha = 0.6;
    ctx.setLineDash([3 * dpr, 3 * dpr]);
    for (const d of this.input.decisions) {
      const x = u.valToPos(d.t / 1000, 'x', true);
      if (x < left || x > left + width || d.id === this.input.selected?.id) continue;
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, top + height);
      ctx.stroke();
    }
    ctx.restore();
    this.placeMarker(u, def);
  }

  /** A DOM marker on the selected decision: readable label, findable by tests and assistive tech. */
  private placeMarker(u: uPlot, def: CurveDef): void {
    const d = this.input.selected;
    let marker = u.over.querySelector<HTMLElement>('.decision-marker');
    if (!d) {
      marker?.remove();
      return;
    }
    if (!marker) {
      marker = h('div', { class: 'decision-marker', 'data-curve': def.key });
      u.over.appendChild(marker);
    }
    const x = u.valToPos(d.t / 1000, 'x');
    const inView = x >= 0 && x <= u.over.clientWidth;
    marker.hidden = !inView;
    marker.style.left = `${x}px`;
    marker.setAttribute('data-t', String(d.t));
    const label = `Decision: ${d.action} at ${clock(d.t)}`;
    if (marker.getAttribute('aria-label') !== label) {
      marker.setAttribute('role', 'img');
      marker.setAttribute('aria-label', label);
      replace(marker, h('span', { class: 'decision-flag' }, d.action));
    }
  }

  private showReadout(u: uPlot): void {
    const i = u.cursor.idx;
    const s = i === null || i === undefined ? undefined : this.input.samples[i];
    if (!s) return;
    const parts = curves.map((def) => {
      const v = def.value(s);
      return `${def.key === 'repetition' ? 'repetition ' : ''}${v === null ? 'n/a' : def.format(v)}`;
    });
    this.readout.textContent = `${clock(s.t)}: CPU ${parts[0]}, memory ${parts[1]}, ${parts[2]}`;
  }

  private renderLegend(c: ChartColors): void {
    const entry = (cls: string, color: string, text: string) => {
      const swatch = h('span', { class: `swatch ${cls}`, 'aria-hidden': 'true' });
      swatch.style.setProperty('--swatch', color);
      return h('li', null, swatch, text);
    };
    const d = this.input.selected;
    replace(
      this.legendEl,
      ...curves.map((def) => entry('swatch-line', def.color(c), def.title)),
      d ? entry('swatch-decision', c.decision, `Decision: ${d.action} at ${clock(d.t)}`) : null,
      d && this.input.decisions.length > 1 ? entry('swatch-other', c.decision, 'Other decisions of this incident') : null,
      d ? entry('swatch-threshold', c.threshold, 'Threshold the decision used') : null,
    );
  }

  /** The numbers behind the curves, as text: peak and value at the decision for each. */
  private renderSummary(): void {
    const { samples, selected } = this.input;
    if (!samples.length) {
      replace(this.summaryEl, h('li', null, icon('info'), ' No samples were recorded for this run.'));
      return;
    }
    const at = selected ? nearestSample(samples, selected.t) : undefined;
    replace(
      this.summaryEl,
      ...curves.map((def) => {
        let peak: Sample | undefined;
        let peakV = -Infinity;
        for (const s of samples) {
          const v = def.value(s);
          if (v !== null && v > peakV) [peak, peakV] = [s, v];
        }
        const atV = at ? def.value(at) : null;
        return h(
          'li',
          { 'data-curve': def.key },
          h('strong', null, `${def.title}: `),
          peak ? `peak ${def.format(peakV)} at ${clock(peak.t)}` : 'no readings',
          atV !== null && selected ? `; ${def.format(atV)} when FlowForge decided` : '',
        );
      }),
    );
  }
}

/**
 * The top of a y axis: room above the highest reading, and the threshold when
 * it is near enough to matter (a 2 GB limit would flatten a 150 MB curve).
 */
function yTop(def: CurveDef, max: number, threshold: number | null): number {
  const top = Math.max(def.minTop, max * 1.15);
  return threshold !== null && threshold <= top * 3 ? Math.max(top, threshold * 1.15) : top;
}

function nearestSample(samples: Sample[], t: number): Sample | undefined {
  let best: Sample | undefined;
  for (const s of samples) if (s.t <= t && (!best || s.t > best.t)) best = s;
  return best ?? samples[0];
}
