/**
 * The sum of a metric's series in Prometheus text (an app's /metrics page) whose labels include
 * every one of `labels`.
 *
 * @example
 * sumSeries(text, 'flowgate_processor_batch_commits_total', { job: 'counter', result: 'committed' }); // 42
 */
export function sumSeries(text, name, labels = {}) {
  let total = 0;
  for (const [, labelText, value] of text.matchAll(new RegExp(`^${name}\\{([^}]*)\\} (\\S+)$`, 'gm'))) {
    if (Object.entries(labels).every(([k, v]) => labelText.includes(`${k}="${v}"`))) total += Number(value);
  }
  return total;
}
