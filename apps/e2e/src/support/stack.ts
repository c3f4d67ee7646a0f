import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';

/** The demo job module (built by `npm test` like the apps) and the route `POST /event` serves, as under `npm start`. */
export const DEMO_ENV = { FLOWGATE_JOBS: resolve(__dirname, '../../../../dist/examples/demo.js'), FLOWGATE_EVENT_ROUTE: 'echo' };

/** The Kafka and Redis that `npm test` (tools/dev/test.mjs) started for this run. */
export function stackEnv(): { KAFKA_BROKERS: string; REDIS_URL: string } {
  const { KAFKA_BROKERS, REDIS_URL } = process.env;
  if (!KAFKA_BROKERS || !REDIS_URL) {
    throw new Error('KAFKA_BROKERS and REDIS_URL must be set: run the end-to-end tests through `npm test`');
  }
  return { KAFKA_BROKERS, REDIS_URL };
}

/** A topic prefix of its own per test, so tests share one Kafka without sharing work. */
export function uniquePrefix(name: string): string {
  return `e2e.${name}.${randomBytes(3).toString('hex')}.`;
}
