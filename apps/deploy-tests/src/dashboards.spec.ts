import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { allExportedSeriesNames } from './support/exported-metrics';
import { helmTemplate, ofKind } from './support/manifests';
import { metricNames, panelsOf } from './support/promql';
import { ensureTools, INSTALL_TIMEOUT_MS, repoRoot, runCommand } from './support/tools';

const DIR = join(repoRoot, 'helm/flowgate/files/dashboards');
const files = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
const dashboards = files.map((f) => JSON.parse(readFileSync(join(DIR, f), 'utf8')));
const panels = dashboards.flatMap(panelsOf);

describe('Grafana dashboards (apps/dashboards → helm/flowgate/files/dashboards)', () => {
  it('the committed JSON is what the code generates (npm run dashboards)', () => {
    const { status, stderr } = runCommand(process.execPath, [join(repoRoot, 'apps/dashboards/generate.mjs'), '--check']);
    expect(stderr).toContain('dashboards up to date');
    expect(status).toBe(0);
  });

  it('ships Overview, Processing and Operations', () => {
    expect(dashboards.map((d) => [d.uid, d.title])).toEqual([
      ['flowgate-operations', 'flowgate / Operations'],
      ['flowgate-overview', 'flowgate / Overview'],
      ['flowgate-processing', 'flowgate / Processing'],
    ]);
  });

  it('takes the data source from a dashboard variable, never a fixed one', () => {
    for (const dashboard of dashboards) {
      const variable = dashboard.templating.list.find((v: { type: string }) => v.type === 'datasource');
      expect({ name: variable?.name, query: variable?.query }).toEqual({ name: 'datasource', query: 'prometheus' });
    }
    const sources = panels.flatMap((p) => [p.datasource, ...p.targets.map((t) => t.datasource)]);
    expect(new Set(sources.map((s) => JSON.stringify(s)))).toEqual(new Set([JSON.stringify({ type: 'prometheus', uid: '${datasource}' })]));
  });

  it('has the panels the issue asks for', () => {
    const exprs = (dashboard: string) => panels.filter((p) => p.dashboard === dashboard).flatMap((p) => p.targets.map((t) => t.expr)).join('\n');
    const overview = exprs('flowgate / Overview');
    for (const q of ['0.5', '0.95', '0.99']) expect(overview).toContain(`histogram_quantile(${q}, sum by (route, le) (rate(flowgate_gateway_request_duration_seconds_bucket`);
    expect(overview).toContain('sum by (route) (rate(flowgate_gateway_requests_total{job=~"$release-gateway", status=~"5.."}');
    for (const metric of ['inflight_requests', 'inflight_limit', 'admission_rejections_total', 'timeouts_total']) expect(overview).toContain(`flowgate_gateway_${metric}`);
    const processing = exprs('flowgate / Processing');
    for (const metric of ['operator_records_total', 'paused_partitions', 'batch_commits_total', 'state_entries']) expect(processing).toContain(`flowgate_processor_${metric}`);
    const operations = exprs('flowgate / Operations');
    for (const metric of ['flowgate_gateway_reply_partition', 'flowgate_processor_dead_letters_total', 'flowgate_gateway_kafka_up']) expect(operations).toContain(metric);
  });

  it('gives every panel at least one query, each with a legend and a distinct refId', () => {
    for (const panel of panels) {
      expect({ panel: panel.panel, queries: panel.targets.length > 0 }).toEqual({ panel: panel.panel, queries: true });
      expect(new Set(panel.targets.map((t) => t.refId)).size).toBe(panel.targets.length);
      for (const target of panel.targets) expect(target.legendFormat).toBeTruthy();
    }
  });

  it('queries only metrics the apps export (libs/metrics, as the apps construct them)', async () => {
    const exported = await allExportedSeriesNames();
    const unknown = panels.flatMap((p) => p.targets.flatMap((t) => metricNames(t.expr).filter((m) => !exported.has(m)).map((m) => `${p.panel}: ${m}`)));
    expect(unknown).toEqual([]);
    // The parse found metrics at all: an always-empty list would pass the check above.
    expect(metricNames(panels[1].targets[0].expr).length).toBeGreaterThan(0);
  });
});

describe('metricNames (the check above)', () => {
  it('finds every metric of an expression and nothing else', () => {
    const expr =
      'sum by (route, le) (rate(a_bucket{job=~"$release-gateway", status=~"5.."}[$__rate_interval])) / on (job) group_left (x) ' +
      'count_values("partition", b >= 0) or c unless c offset 5m > bool 0.5';
    expect(metricNames(expr)).toEqual(['a_bucket', 'b', 'c']);
  });
});

describe('PrometheusRule alerts (helm/flowgate prometheusRule.enabled)', () => {
  beforeAll(() => ensureTools(), INSTALL_TIMEOUT_MS);

  const rules = () => {
    const objects = helmTemplate('flowgate', { release: 'flowgate-blue', set: { 'prometheusRule.enabled': true } });
    return ofKind(objects, 'PrometheusRule')[0].spec.groups.flatMap((g: { rules: unknown[] }) => g.rules) as { alert: string; expr: string }[];
  };

  it('alerts on errors, p99, timeouts, lag, dead letters and reply slots', () => {
    expect(rules().map((r) => r.alert)).toEqual([
      'FlowgateErrorRatioHigh',
      'FlowgateLatencyP99AboveObjective',
      'FlowgateTimeoutsRising',
      'FlowgateConsumerLagGrowing',
      'FlowgateDeadLetters',
      'FlowgateGatewayWithoutReplySlot',
      'FlowgateReplySlotOwnedTwice',
      'FlowgateKafkaUnreachable',
      'FlowgateTargetDown',
    ]);
  });

  it('reads only metrics the apps export, and only this release\'s series', async () => {
    const exported = await allExportedSeriesNames();
    for (const rule of rules()) {
      expect({ alert: rule.alert, unknown: metricNames(rule.expr).filter((m) => !exported.has(m)) }).toEqual({ alert: rule.alert, unknown: [] });
      const selectors = rule.expr.match(/\{[^}]*\}/g) ?? [];
      expect(selectors.length).toBeGreaterThan(0);
      for (const selector of selectors) expect(selector).toMatch(/^\{namespace="flowgate", job=~?"flowgate-blue-/);
    }
  });

  it('takes its thresholds from values', () => {
    // A values file, not --set: helm's --set turns 0.25 into a string, which the schema refuses.
    const file = join(mkdtempSync(join(tmpdir(), 'flowgate-rule-')), 'values.yaml');
    writeFileSync(file, stringify({ prometheusRule: { enabled: true, p99Seconds: 0.25, errorRatio: 0.05, rateWindow: '10m' } }));
    const objects = helmTemplate('flowgate', { release: 'flowgate-blue', valuesFiles: [file] });
    const byName = Object.fromEntries(ofKind(objects, 'PrometheusRule')[0].spec.groups[0].rules.map((r: { alert: string; expr: string }) => [r.alert, r.expr]));
    expect(byName.FlowgateLatencyP99AboveObjective.trim()).toMatch(/\[10m\]\)\)\n\) > 0\.25$/);
    expect(byName.FlowgateErrorRatioHigh.trim()).toMatch(/> 0\.05$/);
  });
});
