/**
 * Metric names used by PromQL expressions in dashboards and rules, and the metric families a /metrics scrape
 * exports. A rough lexer, enough for our own queries: strings, label matchers, ranges and label lists are cut out
 * first, then every identifier not followed by "(" and not a keyword is a metric name.
 */
const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'bool',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'offset',
  'inf',
  'nan',
  'atan2',
]);

/** Metric names an expression selects. Grafana variables ($model, $__range) sit in matchers and ranges, which are cut. */
export function metricNames(expr: string): string[] {
  const s = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\boffset\s+-?\w+/g, ' ')
    .replace(/(^|[^\w:])\d[\d.]*(e[+-]?\d+)?/gi, '$1 ');
  const names = new Set<string>();
  for (const m of s.matchAll(/[A-Za-z_:][\w:]*/g)) {
    const rest = s.slice(m.index + m[0].length).trimStart();
    if (!rest.startsWith('(') && !KEYWORDS.has(m[0].toLowerCase())) names.add(m[0]);
  }
  return [...names];
}

/** Every PromQL query in a Grafana dashboard: targets' and annotations' `expr`, and label_values() in variables. */
export function dashboardQueries(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(dashboardQueries);
  if (!node || typeof node !== 'object') return [];
  const out: string[] = [];
  for (const [key, value] of Object.entries(node)) {
    if (key === 'expr' && typeof value === 'string') out.push(value);
    else if ((key === 'query' || key === 'definition') && typeof value === 'string') {
      const m = /label_values\(\s*([^,)]+)/.exec(value);
      if (m) out.push(m[1]);
    } else out.push(...dashboardQueries(value));
  }
  return out;
}

/** Metric families in a Prometheus text exposition (from its # TYPE lines), with their types. */
export function exportedFamilies(exposition: string): Map<string, string> {
  return new Map([...exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]]));
}

/** The family a sample name belongs to: x_bucket, x_sum and x_count belong to histogram (or summary) x. */
export function familyOf(name: string, families: ReadonlyMap<string, string>): string | undefined {
  if (families.has(name)) return name;
  const m = /^(.*)_(bucket|sum|count)$/.exec(name);
  const type = m && families.get(m[1]);
  return type === 'histogram' || (type === 'summary' && m![2] !== 'bucket') ? m![1] : undefined;
}
