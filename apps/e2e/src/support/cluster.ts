import { AppName, AppProcess } from './app-process';
import { stackEnv, uniquePrefix } from './stack';

/**
 * A flowgate deployment for one test file: its own topic prefix on the shared Kafka and Redis,
 * and any number of gateways, processors and sweepers started from the built bundles.
 */
export class Cluster {
  readonly prefix: string;
  readonly env: Record<string, string>;
  private readonly apps: AppProcess[] = [];

  constructor(name: string, env: Record<string, string> = {}) {
    this.prefix = uniquePrefix(name);
    this.env = { ...stackEnv(), FLOWGATE_TOPIC_PREFIX: this.prefix, FLOWGATE_REQUEST_PARTITIONS: '4', FLOWGATE_REPLY_PARTITIONS: '4', ...env };
  }

  async start(name: AppName, env: Record<string, string> = {}, options: { waitReady?: boolean } = {}): Promise<AppProcess> {
    // Registered before it is ready, so stopAll() also stops an app whose start-up timed out.
    const app = await AppProcess.start(name, { ...this.env, ...env }, { waitReady: false });
    this.apps.push(app);
    if (options.waitReady ?? true) await app.waitReady();
    return app;
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.apps.map((app) => app.stop()));
  }
}
