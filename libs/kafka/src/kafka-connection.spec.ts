import { Kafka, Producer } from 'kafkajs';
import { KafkaConnection } from './kafka-connection';

/** The producers the connection asks kafkajs for, with what it sends through them; nothing reaches a broker. */
function connectionWithFakeProducers() {
  const producers: { config: Parameters<Kafka['producer']>[0]; sent: unknown[] }[] = [];
  jest.spyOn(Kafka.prototype, 'producer').mockImplementation((config) => {
    const made = { config, sent: [] as unknown[] };
    producers.push(made);
    const fake = {
      events: { CONNECT: 'producer.connect', DISCONNECT: 'producer.disconnect' },
      on: () => () => undefined,
      sendBatch: async (batch: unknown) => (made.sent.push(batch), []),
    };
    return fake as unknown as Producer;
  });
  const connection = new KafkaConnection({ brokers: ['127.0.0.1:1'], clientId: 'spec', probeTopic: 'spec.probe' });
  return { connection, producers };
}

afterEach(() => jest.restoreAllMocks());

describe('KafkaConnection, for the stream runtime', () => {
  it("writes a batch through the app's shared producer, waiting for every in-sync replica", async () => {
    const { connection, producers } = connectionWithFakeProducers();
    const topicMessages = [{ topic: 'flowgate.replies', messages: [{ key: 'r1', value: '1' }] }];

    await connection.sendBatchDirect(topicMessages);

    expect(producers).toHaveLength(1);
    expect(producers[0].sent).toEqual([{ topicMessages, acks: -1 }]);
  });

  it('gives each transactional id an idempotent producer of its own, one request in flight, that never gives up on a send', () => {
    const { connection, producers } = connectionWithFakeProducers();

    connection.transactionalProducer('flowgate.job.counter.3');

    expect(producers).toHaveLength(2);
    expect(producers[1].config).toMatchObject({
      transactionalId: 'flowgate.job.counter.3',
      idempotent: true,
      maxInFlightRequests: 1,
      retry: { retries: Number.MAX_SAFE_INTEGER },
    });
  });
});
