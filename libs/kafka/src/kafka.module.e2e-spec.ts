import { randomBytes } from 'node:crypto';
import { Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createRegistry, type Registry } from '@flowgate/metrics';
import { ConsumerOffsets } from './consumer-offsets';
import { KafkaConnection } from './kafka-connection';
import { KafkaModule } from './kafka.module';

// The module against the real Kafka that `npm test` starts.
const brokers = process.env.KAFKA_BROKERS;
if (!brokers) throw new Error('KAFKA_BROKERS must be set: run the end-to-end tests through `npm test`');

const config = {
  KAFKA_BROKERS: brokers.split(','),
  KAFKA_SSL: 'false',
  KAFKA_SASL_MECHANISM: '',
  KAFKA_SASL_USERNAME: '',
  KAFKA_SASL_PASSWORD: '',
  FLOWGATE_INSTANCE_ID: 'kafka-module-spec',
} as const;

/** Two services of one app, and one that writes a last record while shutting down. */
function appModule(probeTopic: string, registry: Registry, onShutdown: (kafka: KafkaConnection) => Promise<void>) {
  @Injectable()
  class Publisher implements OnApplicationShutdown {
    constructor(readonly kafka: KafkaConnection) {}
    onApplicationShutdown() {
      return onShutdown(this.kafka);
    }
  }
  @Injectable()
  class Reader {
    constructor(readonly kafka: KafkaConnection) {}
  }
  @Module({ imports: [KafkaModule.forRoot({ app: 'sweeper', config, probeTopic, registry })], providers: [Publisher, Reader] })
  class AppModule {}
  return { AppModule, Publisher, Reader };
}

describe('KafkaModule (real Kafka)', () => {
  let observer: KafkaConnection;
  let offsets: ConsumerOffsets;
  let topic: string;
  /** Records in the topic's partition 0, counted by a group that never commits. */
  const records = async () => (await offsets.lag(`kafka-module-spec-${randomBytes(3).toString('hex')}`, topic, [0])).get(0);

  beforeAll(async () => {
    observer = new KafkaConnection({ brokers: config.KAFKA_BROKERS, clientId: 'kafka-module-spec-observer', probeTopic: 'unused' });
    topic = `e2e.kafka-module.${randomBytes(3).toString('hex')}`;
    await observer.ensureTopics([{ topic, numPartitions: 1 }]);
    offsets = observer.consumerOffsets();
  }, 60_000);
  afterAll(async () => {
    await offsets.close();
    await observer.close();
  });

  it('gives every service of an app the same connection, its produce batches counted in the app\'s metrics', async () => {
    const registry = createRegistry('sweeper');
    const { AppModule, Publisher, Reader } = appModule(topic, registry, async () => undefined);
    const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
    const [publisher, reader] = [app.get(Publisher).kafka, app.get(Reader).kafka];
    expect(publisher).toBe(reader);
    await publisher.connect();
    expect(publisher.isReady).toBe(true);
    await publisher.send({ topic, partition: 0, key: 'a', value: '1' });
    expect(await registry.getSingleMetricAsString('flowgate_sweeper_produce_batch_size')).toMatch(/^flowgate_sweeper_produce_batch_size_count(\{[^}]*\})? 1$/m);
    await app.close();
  });

  it('closes the connection at shutdown, after the app\'s own shutdown hooks have produced through it', async () => {
    const before = (await records()) ?? 0;
    const { AppModule, Publisher } = appModule(topic, createRegistry('sweeper'), (kafka) => kafka.send({ topic, partition: 0, key: 'last', value: 'bye' }));
    const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
    const kafka = app.get(Publisher).kafka;
    await kafka.connect();
    await app.close();
    expect(await records()).toBe(before + 1);
    expect(kafka.isConnected).toBe(false);
  });
});
