/** PromQL's own words: functions, aggregations, keywords. Any other identifier names a metric. */
const PROMQL_WORDS = new Set([
  ...['abs', 'absent', 'absent_over_time', 'ceil', 'changes', 'clamp', 'clamp_max', 'clamp_min', 'day_of_month', 'day_of_week'],
  ...['day_of_year', 'days_in_month', 'delta', 'deriv', 'exp', 'floor', 'histogram_count', 'histogram_sum', 'histogram_fraction'],
  ...['histogram_quantile', 'histogram_stddev', 'histogram_stdvar', 'holt_winters', 'hour', 'idelta', 'increase', 'irate'],
  ...['label_join', 'label_replace', 'ln', 'log2', 'log10', 'minute', 'month', 'predict_linear', 'rate', 'resets', 'round'],
  ...['scalar', 'sgn', 'sort', 'sort_desc', 'sqrt', 'time', 'timestamp', 'vector', 'year'],
  ...['avg_over_time', 'min_over_time', 'max_over_time', 'sum_over_time', 'count_over_time', 'quantile_over_time'],
  ...['stddev_over_time', 'stdvar_over_time', 'last_over_time', 'present_over_time'],
  ...['sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count', 'count_values', 'bottomk', 'topk', 'quantile'],
  ...['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan'],
]);

/**
 * The metric names an expression reads: every identifier outside strings, label matchers,
 * ranges and label lists that is not a PromQL word. Parses enough PromQL for our own queries.
 */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '{}')
    .replace(/\[[^\]]*\]/g, '[]')
    .replace(/\boffset\s+-?[0-9][0-9a-z]*/g, 'offset')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '$1 ()');
  const names = (bare.match(/[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? []).filter((word) => !PROMQL_WORDS.has(word.toLowerCase()));
  return [...new Set(names)].sort();
}

/** Grafana's variables in a query, replaced the way Grafana does for "All" and a 1 s scrape. */
export function withGrafanaVariables(expr: string, rateInterval = '30s'): string {
  return expr.replace(/\$__rate_interval/g, rateInterval).replace(/\$release/g, '.+');
}

/** A dashboard panel's queries, as generated into the JSON files. */
export interface PanelQueries {
  readonly dashboard: string;
  readonly panel: string;
  readonly type: string;
  readonly datasource: unknown;
  readonly targets: { expr: string; legendFormat?: string; datasource?: unknown; refId: string }[];
}

/** Every panel of a dashboard JSON (rows' nested panels included), rows themselves left out. */
export function panelsOf(dashboard: { title: string; panels?: Record<string, unknown>[] }): PanelQueries[] {
  const panels: PanelQueries[] = [];
  const walk = (list: Record<string, unknown>[] = []): void => {
    for (const panel of list) {
      if (panel.type === 'row') {
        walk(panel.panels as Record<string, unknown>[]);
        continue;
      }
      panels.push({
        dashboard: dashboard.title,
        panel: String(panel.title),
        type: String(panel.type),
        datasource: panel.datasource,
        targets: (panel.targets ?? []) as PanelQueries['targets'],
      });
    }
  };
  walk(dashboard.panels);
  return panels;
}
