// /v1/metrics through Prometheus's own linter: the body a real scrape gets
// (real HTTP on loopback, a read key) piped to Debian's `promtool check
// metrics`, which must exit 0 and print nothing (no lint problem at all);
// and the scrape configurations docs/operations.md tells people to use, through
// `promtool check config`.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { requireDebianProgram } from '../../helpers/debianProgram';
import { REPO } from '../../helpers/processes';
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

/** The fenced yaml blocks of a markdown page, by their first line. */
function yamlBlocks(markdown: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of markdown.matchAll(/^( *)```yaml\n([\s\S]*?)^\1```$/gm)) {
    const body = m[2]!.split('\n').map((l) => l.slice(m[1]!.length)).join('\n');
    out.set(body.split('\n')[0]!.trim(), body);
  }
  return out;
}

describe('docs/operations.md: its scrape configurations are valid Prometheus configuration', function () {
  this.timeout(30_000);
  const page = readFileSync(join(REPO, 'docs', 'operations.md'), 'utf8');
  const blocks = [...yamlBlocks(page).entries()];
  let dir: string;
  before(function () {
    requireDebianProgram(this, PROMTOOL, 'prometheus');
    dir = mkdtempSync(join(tmpdir(), 'ff-promdocs-'));
  });
  after(() => dir && rmSync(dir, { recursive: true, force: true }));

  /** promtool on a config (syntax only: the documented key file is not on this machine). */
  const check = async (name: string, config: string, agent: boolean) => {
    const file = join(dir, name);
    writeFileSync(file, config);
    const r = await runTool(PROMTOOL, ['check', 'config', '--syntax-only', ...(agent ? ['--agent'] : []), file], '');
    assert.equal(r.code, 0, r.stdout + r.stderr);
  };

  it('the Prometheus agent configuration passes promtool check config --agent', async () => {
    const agent = blocks.find(([first]) => first.includes('flowforge-agent.yml'));
    assert.ok(agent, 'no agent configuration block in docs/operations.md');
    assert.match(agent[1], /credentials_file:/);
    await check('agent.yml', agent[1], true);
  });

  it('the Collector’s prometheus receiver scrapes with a configuration promtool accepts', async () => {
    const collector = blocks.map(([, body]) => parseYaml(body) as { receivers?: { prometheus?: { config?: unknown } } }).find((c) => c?.receivers?.prometheus);
    assert.ok(collector, 'no Collector prometheus receiver in docs/operations.md');
    await check('receiver.yml', stringifyYaml(collector.receivers!.prometheus!.config), false);
  });
});
