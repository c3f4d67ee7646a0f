import {
  DashboardBuilder,
  DashboardCursorSync,
  DatasourceVariableBuilder,
  QueryVariableBuilder,
  RowBuilder,
  VariableRefresh,
  VariableSort,
  type Dashboard as GrafanaDashboard,
} from '@grafana/grafana-foundation-sdk/dashboard';
import {
  LegendDisplayMode,
  LegendPlacement,
  SortOrder,
  TooltipDisplayMode,
  VizLegendOptionsBuilder,
  VizTooltipOptionsBuilder,
} from '@grafana/grafana-foundation-sdk/common';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatPanelBuilder } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TimeseriesPanelBuilder } from '@grafana/grafana-foundation-sdk/timeseries';
import type { Dashboard, Panel } from './panel';

/** Every panel and query reads from the data source the viewer picks in `$datasource`. */
const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };
const PANEL_HEIGHT = 8;
const GRID_WIDTH = 24;

function panelBuilder(panel: Panel): StatPanelBuilder | TimeseriesPanelBuilder {
  const builder =
    panel.kind === 'stat'
      ? new StatPanelBuilder()
      : new TimeseriesPanelBuilder()
          .fillOpacity(10)
          .lineWidth(1)
          .legend(new VizLegendOptionsBuilder().showLegend(true).displayMode(LegendDisplayMode.List).placement(LegendPlacement.Bottom).calcs([]))
          .tooltip(new VizTooltipOptionsBuilder().mode(TooltipDisplayMode.Multi).sort(SortOrder.Descending));
  builder.title(panel.title).description(panel.description).unit(panel.unit).datasource(DATASOURCE);
  panel.queries.forEach((q, i) => {
    builder.withTarget(
      new DataqueryBuilder()
        .datasource(DATASOURCE)
        .expr(q.expr)
        .legendFormat(q.legend)
        .refId(String.fromCharCode(65 + i)),
    );
  });
  return builder;
}

/**
 * A Grafana dashboard from its description: rows in order, panels laid out left to right and
 * wrapped at the grid's width, a data source variable and a release filter.
 */
export function renderDashboard(dashboard: Dashboard): GrafanaDashboard {
  const builder = new DashboardBuilder(dashboard.title)
    .uid(dashboard.uid)
    .description(dashboard.description)
    .tags(['flowgate'])
    .editable()
    .tooltip(DashboardCursorSync.Crosshair)
    .refresh('30s')
    .time({ from: 'now-1h', to: 'now' })
    .timezone('browser')
    .withVariable(new DatasourceVariableBuilder('datasource').label('Data source').type('prometheus'))
    .withVariable(
      new QueryVariableBuilder('release')
        .label('Release')
        .description('flowgate releases (colours): the job label of their targets without -gateway, -processor, -sweeper')
        .datasource(DATASOURCE)
        .query('label_values(up, job)')
        .definition('label_values(up, job)')
        .regex('/^(.+)-(?:gateway|processor|sweeper)$/')
        .refresh(VariableRefresh.OnTimeRangeChanged)
        .sort(VariableSort.AlphabeticalAsc)
        .multi(true)
        .includeAll(true)
        .allValue('.+'),
    );

  let id = 1;
  let y = 0;
  for (const row of dashboard.rows) {
    builder.withRow(new RowBuilder(row.title).id(id++).gridPos({ x: 0, y: y++, w: GRID_WIDTH, h: 1 }));
    let x = 0;
    for (const panel of row.panels) {
      const w = panel.width ?? 8;
      if (x + w > GRID_WIDTH) {
        x = 0;
        y += PANEL_HEIGHT;
      }
      builder.withPanel(panelBuilder(panel).id(id++).gridPos({ x, y, w, h: PANEL_HEIGHT }));
      x += w;
    }
    y += PANEL_HEIGHT;
  }
  return builder.build();
}
