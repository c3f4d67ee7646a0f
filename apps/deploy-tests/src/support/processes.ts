import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { AppName, AppProcess } from '@flowgate/testing';
import { repoRoot } from './tools';

export { AppProcess, freePort, type AppName } from '@flowgate/testing';

/** The deploy tests' readiness wait (the shared AppProcess defaults to the e2e specs' 60 s). */
const READY_MS = 90_000;

/** The Kafka and Redis that `npm test` (tools/dev/test.mjs) started for this run. */
export function stackEnv(): { KAFKA_BROKERS: string; REDIS_URL: string } {
  const { KAFKA_BROKERS, REDIS_URL } = process.env;
  if (!KAFKA_BROKERS || !REDIS_URL) throw new Error('KAFKA_BROKERS and REDIS_URL must be set: run the end-to-end tests through `npm test`');
  return { KAFKA_BROKERS, REDIS_URL };
}

/** The demo job module (built by `npm test` like the apps) and the route `POST /event` serves, as under `npm start`. */
export const DEMO_ENV = { FLOWGATE_JOBS: join(repoRoot, 'dist/examples/demo.js'), FLOWGATE_EVENT_ROUTE: 'echo' };

/** A topic prefix of its own per test run, so specs share one Kafka without sharing work. */
export const uniquePrefix = (name: string): string => `deploytest.${name}.${randomBytes(3).toString('hex')}.`;

/**
 * Debian's prometheus/promtool or nginx, installed by tools/stack/debian-tools.mjs when missing
 * (apt-get, like redis-server): returns the binaries' paths.
 */
export function ensureDebianTool(name: 'prometheus' | 'nginx'): Record<string, string> {
  const run = spawnSync(process.execPath, [join(repoRoot, 'tools/stack/debian-tools.mjs'), name], { encoding: 'utf8', timeout: 10 * 60_000 });
  if (run.status !== 0) throw new Error(`tools/stack/debian-tools.mjs ${name} failed (exit ${run.status ?? run.signal}):\n${run.stderr}`);
  return Object.fromEntries(run.stdout.trim().split('\n').map((line) => line.split('=') as [string, string]));
}

/** A complete flowgate deployment on the shared Kafka and Redis: one gateway, processor, sweeper. */
export class ColourStack {
  private constructor(
    readonly prefix: string,
    readonly gateway: AppProcess,
    readonly processor: AppProcess,
    readonly sweeper: AppProcess,
  ) {}

  static async start(prefix: string, env: Partial<Record<AppName | 'all', Record<string, string>>> = {}): Promise<ColourStack> {
    const common = { ...stackEnv(), ...DEMO_ENV, FLOWGATE_TOPIC_PREFIX: prefix, FLOWGATE_REQUEST_PARTITIONS: '4', FLOWGATE_REPLY_PARTITIONS: '4', ...env.all };
    // The processor first: it creates the topics, and two apps creating them at once would race.
    const processor = await AppProcess.start('processor', { ...common, ...env.processor }, { waitReady: false });
    const started = [processor];
    try {
      await processor.waitReady(READY_MS);
      const gateway = await AppProcess.start('gateway', { ...common, ...env.gateway }, { waitReady: false });
      started.push(gateway);
      const sweeper = await AppProcess.start('sweeper', { ...common, ...env.sweeper }, { waitReady: false });
      started.push(sweeper);
      await Promise.all([gateway.waitReady(READY_MS), sweeper.waitReady(READY_MS)]);
      return new ColourStack(prefix, gateway, processor, sweeper);
    } catch (error) {
      await Promise.all(started.map((app) => app.stop()));
      throw error;
    }
  }

  get apps(): AppProcess[] {
    return [this.gateway, this.processor, this.sweeper];
  }

  async stop(): Promise<void> {
    await Promise.all(this.apps.map((app) => app.stop()));
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
