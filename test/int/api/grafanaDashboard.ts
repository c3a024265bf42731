// Reading docs/grafana/flowforge-dashboard.json the way the tests need it:
// every PromQL expression (panels and variables), the metric names and label
// names each one uses, and the expression as Prometheus would receive it once
// Grafana has filled in its variables.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from '../../helpers/processes';

export const DASHBOARD_PATH = join(REPO, 'docs', 'grafana', 'flowforge-dashboard.json');

export interface DashboardQuery {
  /** Panel title (or `variable <name>`) and refId, for messages. */
  where: string;
  expr: string;
}

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  targets?: { expr: string; refId: string; datasource?: { uid: string } }[];
  panels?: Panel[];
}

export interface Dashboard {
  __inputs: { name: string; type: string; pluginId: string }[];
  uid: string;
  title: string;
  id: number | null;
  panels: Panel[];
  templating: { list: { name: string; datasource: { uid: string }; query: { query: string } | string }[] };
}

export const loadDashboard = (): Dashboard => JSON.parse(readFileSync(DASHBOARD_PATH, 'utf8')) as Dashboard;

export function allPanels(d: Dashboard): Panel[] {
  return d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

export function dashboardQueries(d: Dashboard): DashboardQuery[] {
  const out: DashboardQuery[] = [];
  for (const p of allPanels(d)) for (const t of p.targets ?? []) out.push({ where: `${p.title} (${t.refId})`, expr: t.expr });
  for (const v of d.templating.list) {
    const q = typeof v.query === 'string' ? v.query : v.query.query;
    const inner = /^label_values\((.*),\s*\w+\)$/.exec(q);
    out.push({ where: `variable ${v.name}`, expr: inner ? inner[1]! : q });
  }
  return out;
}

/** PromQL words that are neither metrics nor labels. */
const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'inf', 'nan']);
const GROUPING = /\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g;
const MATCHERS = /\{([^}]*)\}/g;

/** The metric names an expression selects: identifiers that are not functions, keywords, labels or numbers. */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(MATCHERS, '')
    .replace(GROUPING, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\$\w+/g, '');
  const names = new Set<string>();
  // Not after a digit or a dot: `5m` in `offset 5m` is a duration, `1e3` a number.
  for (const m of bare.matchAll(/(?<![\w.])([A-Za-z_:][A-Za-z0-9_:]*)\s*(\()?/g)) {
    if (m[2] || KEYWORDS.has(m[1]!.toLowerCase())) continue;
    names.add(m[1]!);
  }
  return [...names];
}

/** The label names an expression groups by or matches on. */
export function labelNames(expr: string): string[] {
  const names = new Set<string>();
  const noStrings = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  for (const m of noStrings.matchAll(GROUPING)) for (const l of m[2]!.split(',')) if (l.trim()) names.add(l.trim());
  for (const m of noStrings.matchAll(MATCHERS)) for (const l of m[1]!.matchAll(/([A-Za-z_]\w*)\s*(=~|!~|!=|=)/g)) names.add(l[1]!);
  return [...names];
}

/** The expression with Grafana's variables filled in, as Prometheus receives it. */
export function withVariables(expr: string, v: { range: string; rateInterval: string }): string {
  return expr
    .replaceAll('$__rate_interval', v.rateInterval)
    .replaceAll('$__range', v.range)
    .replaceAll('$__interval', v.rateInterval)
    .replaceAll('$instance', '.*');
}
