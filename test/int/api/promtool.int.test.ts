// /v1/metrics through Prometheus's own linter: the body a real scrape gets
// (real HTTP on loopback, a read key) piped to Debian's `promtool check
// metrics`, which must exit 0 and print nothing (no lint problem at all).
import { strict as assert } from 'node:assert';
import { runTool, sampleValue, useMetricsScene } from './metricsScene';

const PROMTOOL = '/usr/bin/promtool';

describe('api: /v1/metrics passes promtool check metrics', function () {
  this.timeout(60_000);
  const ctx = useMetricsScene({ program: PROMTOOL, pkg: 'prometheus' });
  let body: string;
  before(async () => {
    const a = await ctx.scene.api.get('/v1/metrics', { key: 'read' });
    assert.equal(a.status, 200, a.text);
    body = a.text;
  });

  it('promtool finds the linter live: a badly named counter and a millisecond unit are reported', async () => {
    const bad = '# HELP x_requests x\n# TYPE x_requests counter\nx_requests 1\n# HELP x_wait_milliseconds x\n# TYPE x_wait_milliseconds gauge\nx_wait_milliseconds 2\n';
    const r = await runTool(PROMTOOL, ['check', 'metrics'], bad);
    assert.notEqual(r.code, 0);
    assert.match(r.stdout + r.stderr, /x_requests.*_total/);
    assert.match(r.stdout + r.stderr, /x_wait_milliseconds.*base unit/);
  });

  it('the scraped body lints clean (exit 0, no output), with every series of a runaway in it', async () => {
    const r = await runTool(PROMTOOL, ['check', 'metrics'], body);
    assert.equal(r.stdout + r.stderr, '', 'promtool complained');
    assert.equal(r.code, 0);
    // The body is not trivially clean: it carries the histograms and labelled counters a runaway fills.
    const { rule } = ctx.scene;
    assert.equal(sampleValue(body, `flowforge_runaways_total{rule="${rule}"}`), 1);
    assert.equal(sampleValue(body, `flowforge_time_to_act_seconds_count{rule="${rule}",action="kill"}`), 1);
    assert.equal(sampleValue(body, `flowforge_not_a_runaway_total{rule="${rule}"}`), 1);
    assert.equal(sampleValue(body, 'flowforge_stop_latency_seconds_count'), 1);
    assert.equal(sampleValue(body, 'flowforge_interventions_total{kind="kill"}'), 1);
    assert.ok(body.split('\n').length > 100, `only ${body.split('\n').length} lines`);
  });
});
