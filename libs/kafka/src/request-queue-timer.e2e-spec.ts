import { Kafka, logLevel } from 'kafkajs';
import { createKafka } from './kafka-client';

// Against the real Kafka that `npm test` starts: kafkajs's request queue, idle after a response.
const brokers = process.env.KAFKA_BROKERS;
if (!brokers) throw new Error('KAFKA_BROKERS must be set: run the end-to-end tests through `npm test`');

// eslint-disable-next-line @typescript-eslint/no-require-imports
const RequestQueue = require('kafkajs/src/network/requestQueue') as { prototype: { checkPendingRequests(): void } };

/** How often any connection's queue is checked during `ms` of doing nothing. */
async function checksWhileIdle(ms: number): Promise<number> {
  const original = RequestQueue.prototype.checkPendingRequests;
  let checks = 0;
  RequestQueue.prototype.checkPendingRequests = function (this: unknown) {
    checks++;
    return original.call(this);
  };
  try {
    await new Promise((resolve) => setTimeout(resolve, ms));
  } finally {
    RequestQueue.prototype.checkPendingRequests = original;
  }
  return checks;
}

describe('kafkajs request queue timer (real Kafka)', () => {
  const admins: ReturnType<Kafka['admin']>[] = [];
  afterAll(() => Promise.all(admins.map((admin) => admin.disconnect())));

  it('spins without the fix, and stops once createKafka has applied it', async () => {
    // A client as kafkajs ships it: after one response its connection re-arms a 1 ms timer forever.
    const stock = new Kafka({ brokers: brokers.split(','), clientId: 'request-queue-timer-stock', logLevel: logLevel.NOTHING }).admin();
    admins.push(stock);
    await stock.connect();
    await stock.listTopics();
    expect(await checksWhileIdle(500)).toBeGreaterThan(20);

    const fixed = createKafka({ brokers: brokers.split(','), clientId: 'request-queue-timer-fixed' }).admin();
    admins.push(fixed);
    await fixed.connect();
    await fixed.listTopics();
    // Both connections, the stock client's too (the method is the class's), now sleep when idle;
    // one check may still be under way from the timer armed before the fix.
    expect(await checksWhileIdle(500)).toBeLessThanOrEqual(1);
    // And they still work.
    expect(await stock.listTopics()).toEqual(expect.any(Array));
  });
});
