import type { ConsoleView } from './console-view';

/** One second of one node: t (epoch ms), records in/s, out/s, errors/s, p99 ms (null: nothing ran). */
export type HistoryPoint = readonly [number, number, number, number, number | null];

/**
 * The last minutes of every node's figures, so a node selected in the page shows its recent
 * past at once. Bounded: `points` per node, and nodes of jobs no longer running are dropped.
 */
export class NodeHistory {
  private readonly series = new Map<string, HistoryPoint[]>();

  constructor(private readonly points = 300) {}

  add(view: ConsoleView): void {
    const live = new Set<string>();
    for (const job of view.jobs) {
      for (const [node, f] of Object.entries(job.figures)) {
        const key = `${job.name}\0${node}`;
        live.add(key);
        const series = this.series.get(key) ?? [];
        series.push([view.at, f.inPerSec, f.outPerSec, f.errorsPerSec, f.p99Ms ?? null]);
        if (series.length > this.points) series.splice(0, series.length - this.points);
        this.series.set(key, series);
      }
    }
    for (const key of this.series.keys()) if (!live.has(key)) this.series.delete(key);
  }

  get(job: string, node: string): readonly HistoryPoint[] {
    return this.series.get(`${job}\0${node}`) ?? [];
  }
}
