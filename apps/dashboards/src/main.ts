import type { Dashboard } from './panel';
import { operations } from './operations.dashboard';
import { overview } from './overview.dashboard';
import { processing } from './processing.dashboard';
import { renderDashboard } from './render-dashboard';

/** Every dashboard flowgate ships, in the order Grafana lists them. */
export const DASHBOARDS: readonly Dashboard[] = [overview, processing, operations];

/** The generated files: `<uid>.json` → its text, as committed under helm/flowgate/files/dashboards. */
export function dashboardFiles(): Record<string, string> {
  return Object.fromEntries(DASHBOARDS.map((d) => [`${d.uid}.json`, `${JSON.stringify(renderDashboard(d), null, 2)}\n`]));
}
