import type { AppProcess } from './app-process';

/** The samples of a metric labelled `{job, partition}`, for one job, read from the app's /metrics. */
export async function partitionSamples(app: AppProcess, name: string, job: string): Promise<{ partition: number; value: number }[]> {
  const text = await (await fetch(`${app.adminUrl}/metrics`)).text();
  const pattern = new RegExp(`^${name}\\{([^}]*)\\} (\\S+)$`, 'gm');
  return [...text.matchAll(pattern)]
    .filter(([, labels]) => labels.includes(`job="${job}"`))
    .map(([, labels, value]) => ({ partition: Number(/partition="(\d+)"/.exec(labels)?.[1]), value: Number(value) }))
    .sort((a, b) => a.partition - b.partition);
}
