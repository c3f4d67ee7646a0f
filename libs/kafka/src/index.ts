export * from './batching-producer';
export * from './compacted-topic-reader';
export * from './consumer-offsets';
export * from './consumer-supervisor';
export * from './kafka-access';
export * from './kafka-client';
export * from './kafka-connection';
export * from './kafka-health';
export * from './kafka.module';
export * from './parallel-consumer';
export * from './partition-lane';
export * from './partition-reader';
export * from './pinned-partition-assigner';
export * from './status-publisher';
export * from './topic-admin';
// The kafkajs types the stream runtime's consumers and transactions are typed on (types only:
// everything that talks to Kafka is created in this library).
export type { Consumer, Producer, ProducerBatch, RecordMetadata, TopicMessages, Transaction } from 'kafkajs';
