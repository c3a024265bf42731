// A real Prometheus (Debian's package) scrapes a real FlowForge API over
// loopback with the read key from a 0600 credentials file, and answers
// queries about what FlowForge did: the target is up, the runaway FlowForge
// killed is in its database, and a scrape without the key is refused.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { waitFor } from '../../helpers/processes';
import { dashboardQueries, loadDashboard, withVariables } from './grafanaDashboard';
import { KEYS } from './harness';
import { useMetricsScene } from './metricsScene';
import { PROMETHEUS, PrometheusServer } from './prometheusServer';

/** Families nothing in this scene fills (no restart was refused), so their panels show no data yet. */
const NO_DATA_YET = ['flowforge_restart_budget_blocks_total'];

describe('api: a real Prometheus scrapes /v1/metrics', function () {
  this.timeout(90_000);
  const ctx = useMetricsScene({ program: PROMETHEUS, pkg: 'prometheus' });
  let prom: PrometheusServer;
  before(async () => {
    const target = `127.0.0.1:${ctx.scene.api.port}`;
    prom = await PrometheusServer.start([
      { name: 'flowforge', target, metricsPath: '/v1/metrics', key: KEYS.read },
      { name: 'flowforge-without-key', target, metricsPath: '/v1/metrics', key: null },
    ]);
  });
  after(() => prom?.stop());

  it('shows the target up (scraped with the read key) and the one without a key down with a 401', async () => {
    const up = await prom.scraped('flowforge');
    assert.equal(up.health, 'up', `target down: ${up.lastError}\n${prom.log}`);
    assert.equal(up.lastError, '');
    const refused = await prom.scraped('flowforge-without-key');
    assert.equal(refused.health, 'down');
    assert.match(refused.lastError, /401/);
  });

  it('answers queries with FlowForge’s numbers: the killed runaway, its time to act, the "not a runaway" verdict', async () => {
    const { rule } = ctx.scene;
    const value = async (q: string) => {
      const r = await prom.query(q);
      assert.equal(r.status, 'success', `${q}: ${r.error}`);
      return r.result.length === 1 ? Number(r.result[0]!.value[1]) : NaN;
    };
    assert.equal(await value('up{job="flowforge"}'), 1);
    assert.equal(await value(`flowforge_runaways_total{job="flowforge",rule="${rule}"}`), 1);
    assert.equal(await value(`flowforge_time_to_act_seconds_count{job="flowforge",rule="${rule}",action="kill"}`), 1);
    assert.equal(await value(`flowforge_not_a_runaway_total{job="flowforge",rule="${rule}"}`), 1);
    assert.equal(await value('flowforge_interventions_total{job="flowforge",kind="kill"}'), 1);
    assert.equal(await value('flowforge_stop_slo_target_seconds{job="flowforge"}'), 3);
    // Prometheus's own scrapes are counted by FlowForge (each one after its answer, so seen from the next scrape on).
    const scrapes = 'flowforge_http_requests_total{job="flowforge",method="GET",route="/v1/metrics",status="200"}';
    assert.ok(await waitFor(async () => (await value(scrapes)) >= 1, 10_000, 250));
  });

  it('runs every query of the Grafana dashboard: each parses and evaluates, and the panels have data', async () => {
    const queries = dashboardQueries(loadDashboard()).map((q) => ({ ...q, expr: withVariables(q.expr, { range: '5m', rateInterval: '10s' }) }));
    assert.ok(queries.length >= 20, `only ${queries.length} queries`);
    const failing = async () => {
      const out: string[] = [];
      for (const q of queries) {
        const r = await prom.query(q.expr);
        if (r.status !== 'success') out.push(`${q.where}: ${r.error}`);
        else if (r.result.length === 0 && !NO_DATA_YET.some((m) => q.expr.includes(m))) out.push(`${q.where}: no data (${q.expr})`);
      }
      return out;
    };
    // Rates need a few scrapes (one a second) inside their window.
    let last: string[] = [];
    await waitFor(async () => (last = await failing()).length === 0, 20_000, 500).catch(() => undefined);
    assert.deepEqual(last, []);
  });

  it('keeps the key off every command line: Prometheus read it from its 0600 file', () => {
    const cmdline = readFileSync(`/proc/${prom.child.pid}/cmdline`, 'latin1');
    assert.ok(!cmdline.includes(KEYS.read), 'the key is on Prometheus’s command line');
    assert.match(cmdline, /--config\.file=/);
  });
});
