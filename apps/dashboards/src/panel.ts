/**
 * A dashboard as data: rows of panels, each panel a few PromQL queries. Adding a panel is one
 * entry in a row of one of the `*.dashboard.ts` files; render-dashboard.ts does the layout.
 */

/** Grafana units the panels use (Grafana's unit ids). */
export type Unit = 'reqps' | 'ops' | 'percentunit' | 's' | 'short' | 'bytes' | 'none';

export interface Query {
  /** PromQL; `$release` and `$__rate_interval` are Grafana variables. */
  readonly expr: string;
  /** Legend, e.g. `{{route}}`. */
  readonly legend: string;
}

export interface Panel {
  readonly title: string;
  /** What the panel shows and how to read it (the panel's tooltip in Grafana). */
  readonly description: string;
  readonly unit: Unit;
  readonly queries: readonly Query[];
  /** `stat`: the current value in large type; `timeseries` (default): a graph. */
  readonly kind?: 'timeseries' | 'stat';
  /** Grid columns out of 24; default 8 (three panels a row). */
  readonly width?: number;
}

export interface Row {
  readonly title: string;
  readonly panels: readonly Panel[];
}

export interface Dashboard {
  /** Stable id: links and the JSON file name use it. */
  readonly uid: string;
  readonly title: string;
  readonly description: string;
  readonly rows: readonly Row[];
}

export const query = (expr: string, legend: string): Query => ({ expr, legend });
