import { ConsumerConfig, Kafka } from 'kafkajs';

/**
 * A Kafka client whose consumers can be asked which partitions they have paused. The parallel
 * consumer of the requests topic (libs/kafka) reports only how many it paused; consumers made
 * through `kafka` here are remembered, so `paused(topic)` can tell which, without reaching into it.
 *
 * @example
 * const tracked = trackPausedPartitions(kafka);
 * new ParallelConsumer({ kafka: tracked.kafka, ... });
 * tracked.paused('flowgate.requests'); // [2, 5]
 */
export function trackPausedPartitions(kafka: Kafka): { kafka: Kafka; paused(topic: string): number[] } {
  const consumers: ReturnType<Kafka['consumer']>[] = [];
  const tracked = new Proxy(kafka, {
    get(target, property) {
      if (property === 'consumer') {
        return (config: ConsumerConfig) => {
          const consumer = target.consumer(config);
          consumers.push(consumer);
          return consumer;
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return {
    kafka: tracked,
    paused: (topic) => consumers.flatMap((c) => c.paused().filter((tp) => tp.topic === topic).flatMap((tp) => tp.partitions)),
  };
}
