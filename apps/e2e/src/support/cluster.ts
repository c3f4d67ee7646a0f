import { AppName, AppProcess } from './app-process';
import { DEMO_ENV, stackEnv, uniquePrefix } from './stack';

/**
 * A flowgate deployment for one test file: its own topic prefix on the shared Kafka and Redis,
 * and any number of gateways, processors and sweepers started from the built bundles. Processors
 * run the demo jobs unless `env` names other FLOWGATE_JOBS.
 */
export class Cluster {
  readonly prefix: string;
  readonly env: Record<string, string>;
  private readonly apps: AppProcess[] = [];
  private readonly exited = new Set<AppProcess>();

  constructor(name: string, env: Record<string, string> = {}) {
    this.prefix = uniquePrefix(name);
    this.env = { ...stackEnv(), ...DEMO_ENV, FLOWGATE_TOPIC_PREFIX: this.prefix, FLOWGATE_REQUEST_PARTITIONS: '4', FLOWGATE_REPLY_PARTITIONS: '4', ...env };
  }

  async start(name: AppName, env: Record<string, string> = {}, options: { waitReady?: boolean } = {}): Promise<AppProcess> {
    // Registered before it is ready, so stopAll() also stops an app whose start-up timed out.
    const app = await AppProcess.start(name, { ...this.env, ...env }, { waitReady: false });
    this.apps.push(app);
    void app.exited.then(() => this.exited.add(app));
    if (options.waitReady ?? true) {
      await app.waitReady();
      if (name === 'processor') await this.gatewaysServe(await routesOf(app));
    }
    return app;
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.apps.map((app) => app.stop()));
  }

  /**
   * Waits until every running gateway of this cluster serves `routes`: a processor publishes its
   * routes when it starts, and gateways learn them from the catalog a moment later.
   */
  async gatewaysServe(routes: string[], timeoutMs = 10_000): Promise<void> {
    const gateways = this.apps.filter((app) => app.name === 'gateway' && !this.exited.has(app));
    const deadline = Date.now() + timeoutMs;
    for (const gateway of gateways) {
      while (!this.exited.has(gateway)) {
        const served = await servedRoutes(gateway).catch(() => undefined);
        if (served && routes.every((route) => served.includes(route))) break;
        if (Date.now() > deadline) throw new Error(`gateway ${gateway.url} does not serve ${routes.join(', ')} within ${timeoutMs} ms (serves ${served?.join(', ')})`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }
}

/** The routes a processor serves, from its GET /topology. */
async function routesOf(processor: AppProcess): Promise<string[]> {
  const { jobs } = (await (await fetch(`${processor.url}/topology`)).json()) as { jobs: { nodes: { kind: string; route?: string }[] }[] };
  return jobs.flatMap((j) => j.nodes.filter((n) => n.kind === 'source' && n.route).flatMap((n) => n.route!.split(',')));
}

/** The routes a gateway serves now, from its GET /openapi.json. */
export async function servedRoutes(gateway: AppProcess): Promise<string[]> {
  const { paths } = (await (await fetch(`${gateway.url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
  return Object.keys(paths).filter((path) => path.startsWith('/v1/') && path !== '/v1/requests/{id}').map((path) => path.slice(4));
}
