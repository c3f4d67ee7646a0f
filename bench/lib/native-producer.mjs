// An experiment, not a flowgate feature: with BENCH_NATIVE_PRODUCER=1 in its environment, the
// gateway's producer (kafkajs's `producer()` without a transactional id) is librdkafka through
// @confluentinc/kafka-javascript (built by bench/lib/native-kafka.mjs), so a bench variant
// (BENCH_VARIANT="BENCH_NATIVE_PRODUCER=1") measures the native client on flowgate's own hot path.
// The bench then loads this file into flowgate's apps with `node --import`; only a gateway with
// the variable set is changed. Its sendBatch takes what libs/kafka's BatchingProducer gives it
// (topicMessages, acks -1; the linger is already behind it, so librdkafka's linger.ms is 0) and
// resolves once librdkafka has reported every record delivered.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { nativeKafkaDir } from './native-kafka.mjs';

const isGateway = /gateway[/\\]main\.js$/.test(process.argv[1] ?? '');
if (process.env.BENCH_NATIVE_PRODUCER === '1' && isGateway) {
  const { Kafka } = createRequire(join(process.cwd(), 'package.json'))('kafkajs');
  const { Producer } = createRequire(join(nativeKafkaDir, 'package.json'))('@confluentinc/kafka-javascript');
  const kafkajsProducer = Kafka.prototype.producer;
  Kafka.prototype.producer = function producer(options = {}) {
    return options.transactionalId ? kafkajsProducer.call(this, options) : nativeProducer();
  };

  function nativeProducer() {
    const listeners = { connect: [], disconnect: [] };
    const events = { CONNECT: 'connect', DISCONNECT: 'disconnect' };
    const client = new Producer({
      'client.id': 'flowgate-gateway-native',
      'metadata.broker.list': process.env.KAFKA_BROKERS,
      'socket.nagle.disable': true,
      'acks': -1,
      'linger.ms': 0,
      // Murmur2 on the key, as kafkajs's DefaultPartitioner and the Java client do.
      'partitioner': 'murmur2_random',
      'dr_cb': true,
      'log_level': 4,
    });
    client.on('delivery-report', (error, report) => {
      const batch = report.opaque;
      if (error) batch.reject(error);
      else if (--batch.left === 0) batch.resolve();
    });
    return {
      events,
      on(event, listener) {
        listeners[event]?.push(listener);
      },
      connect: () => new Promise((resolve, reject) => {
        client.connect({}, (error) => {
          if (error) return reject(error);
          client.setPollInBackground(true);
          for (const listener of listeners.connect) listener();
          resolve();
        });
      }),
      disconnect: () => new Promise((resolve) => client.disconnect(() => {
        for (const listener of listeners.disconnect) listener();
        resolve();
      })),
      sendBatch({ topicMessages }) {
        return new Promise((resolve, reject) => {
          const batch = { left: topicMessages.reduce((n, { messages }) => n + messages.length, 0), resolve, reject };
          for (const { topic, messages } of topicMessages) {
            for (const { key, value, partition, headers, timestamp } of messages) {
              client.produce(topic, partition ?? null, value === null || Buffer.isBuffer(value) ? value : Buffer.from(value), key ?? null,
                timestamp ? Number(timestamp) : Date.now(), batch,
                Object.entries(headers ?? {}).map(([name, header]) => ({ [name]: header })));
            }
          }
        });
      },
    };
  }
}
