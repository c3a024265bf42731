// The Grafana dashboard in docs/ cannot drift from the code: every metric and
// label its PromQL uses must be in what a live /v1/metrics serves, and it
// imports cleanly (one `${DS_PROMETHEUS}` datasource input used everywhere).
// test/int/api/prometheus.int.test.ts also runs every expression on a real Prometheus.
import { strict as assert } from 'node:assert';
import { allPanels, dashboardQueries, labelNames, loadDashboard, metricNames, type Dashboard } from './grafanaDashboard';
import { declaredMetrics, useMetricsScene } from './metricsScene';

/** Labels Prometheus adds to every scraped series. */
const TARGET_LABELS = new Set(['instance', 'job']);
const HISTOGRAM_SERIES = /_(bucket|sum|count)$/;

/** Label names seen on each series name of an exposition. */
function seriesLabels(text: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const m of text.matchAll(/^([a-zA-Z_:][\w:]*)(?:\{([^}]*)\})? /gm)) {
    const set = out.get(m[1]!) ?? new Set<string>();
    for (const l of (m[2] ?? '').matchAll(/(\w+)="/g)) set.add(l[1]!);
    out.set(m[1]!, set);
  }
  return out;
}

describe('docs: the Grafana dashboard matches the live /v1/metrics', function () {
  this.timeout(60_000);
  const ctx = useMetricsScene();
  const dash: Dashboard = loadDashboard();
  let exposition: string;
  before(async () => {
    exposition = (await ctx.scene.api.get('/v1/metrics', { key: 'read' })).text;
  });

  it('the checker reads PromQL right: metrics found, functions, labels, ranges and variables left out', () => {
    const expr = 'histogram_quantile(0.9, sum by (le, rule) (rate(a_seconds_bucket{instance=~"$instance",x="by(y)"}[$__rate_interval]))) / on(rule) b_total offset 5m';
    assert.deepEqual(metricNames(expr).sort(), ['a_seconds_bucket', 'b_total']);
    assert.deepEqual(labelNames(expr).sort(), ['instance', 'le', 'rule', 'x']);
  });

  it('imports cleanly: one Prometheus datasource input, used by every panel and query; unique panel ids', () => {
    assert.deepEqual(
      dash.__inputs.map((i) => [i.name, i.type, i.pluginId]),
      [['DS_PROMETHEUS', 'datasource', 'prometheus']],
    );
    assert.equal(dash.id, null, 'an exported dashboard carries no database id');
    assert.ok(dash.uid && dash.title);
    const panels = allPanels(dash);
    assert.equal(new Set(panels.map((p) => p.id)).size, panels.length, 'duplicate panel ids');
    for (const p of panels.filter((x) => x.type !== 'row')) {
      assert.equal(p.datasource?.uid, '${DS_PROMETHEUS}', `${p.title}: datasource`);
      assert.ok(p.targets?.length, `${p.title}: no query`);
      for (const t of p.targets!) assert.equal(t.datasource?.uid, '${DS_PROMETHEUS}', `${p.title} ${t.refId}: datasource`);
    }
    for (const v of dash.templating.list) assert.equal(v.datasource.uid, '${DS_PROMETHEUS}', `variable ${v.name}`);
  });

  it('every metric an expression uses is served, as a counter, gauge or histogram series', () => {
    const declared = declaredMetrics(exposition);
    const missing: string[] = [];
    const used = new Set<string>();
    for (const q of dashboardQueries(dash)) {
      const names = metricNames(q.expr);
      assert.ok(names.length > 0, `${q.where}: no metric in ${q.expr}`);
      for (const name of names) {
        used.add(name);
        const base = name.replace(HISTOGRAM_SERIES, '');
        const ok = declared.has(name) || (base !== name && declared.get(base) === 'histogram');
        if (!ok) missing.push(`${q.where}: ${name}`);
      }
    }
    assert.deepEqual(missing, [], 'the dashboard uses metrics /v1/metrics does not serve');
    // What the dashboard is for: runaways by rule, time to act, stops vs alerts, false-stop feedback, runs, SLOs.
    for (const name of [
      'flowforge_runaways_total',
      'flowforge_time_to_act_seconds_bucket',
      'flowforge_interventions_total',
      'flowforge_not_a_runaway_total',
      'flowforge_runs',
      'flowforge_stop_slo_ratio',
      'flowforge_restart_slo_ratio',
      'flowforge_stop_latency_seconds_bucket',
      'flowforge_restart_latency_seconds_bucket',
    ])
      assert.ok(used.has(name), `no panel shows ${name}`);
  });

  it('every label an expression groups by or matches on is a label of the metrics it uses', () => {
    const labels = seriesLabels(exposition);
    // A family nothing has happened to yet (no restart refused) prints no series: its registered label names stand in.
    const registry = ctx.scene.api.server.api.services.metrics.registry;
    const labelsOf = (name: string): string[] => {
      const seen = labels.get(name);
      if (seen) return [...seen];
      const base = name.replace(HISTOGRAM_SERIES, '');
      const metric = registry.getSingleMetric(base) as unknown as { labelNames?: string[] } | undefined;
      return [...(metric?.labelNames ?? []), ...(base !== name ? ['le'] : [])];
    };
    const wrong: string[] = [];
    for (const q of dashboardQueries(dash)) {
      const known = new Set(metricNames(q.expr).flatMap(labelsOf));
      for (const l of labelNames(q.expr)) if (!TARGET_LABELS.has(l) && !known.has(l)) wrong.push(`${q.where}: ${l}`);
    }
    assert.deepEqual(wrong, [], 'the dashboard uses labels its metrics do not have');
  });
});
