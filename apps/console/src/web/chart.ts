import { s } from './dom';
import type { HistoryPoint } from './view';

/** A small line chart of a node's last minutes: records in and out per second, and p99 on its own scale. */
export function nodeChart(points: readonly HistoryPoint[]): SVGElement {
  const width = 316;
  const height = 120;
  const svg = s('svg', { class: 'chart', viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: 'none' });
  if (points.length < 2) return svg;
  const t0 = points[0][0];
  const t1 = points[points.length - 1][0];
  const maxRate = Math.max(1, ...points.flatMap((p) => [p[1], p[2]]));
  const maxP99 = Math.max(1, ...points.map((p) => p[4] ?? 0));
  const x = (t: number) => ((t - t0) / Math.max(1, t1 - t0)) * (width - 4) + 2;
  const line = (value: (p: HistoryPoint) => number | null, max: number) =>
    points.filter((p) => value(p) !== null).map((p) => `${x(p[0]).toFixed(1)},${(height - 4 - ((value(p) ?? 0) / max) * (height - 18)).toFixed(1)}`).join(' ');
  svg.append(
    s('polyline', { class: 'in', points: line((p) => p[1], maxRate) }),
    s('polyline', { class: 'out', points: line((p) => p[2], maxRate) }),
    s('polyline', { class: 'p99', points: line((p) => p[4], maxP99) }),
    s('text', { x: 4, y: 11 }, `max ${maxRate.toFixed(1)}/s · p99 max ${maxP99.toFixed(1)} ms`),
  );
  return svg;
}
