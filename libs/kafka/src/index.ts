export * from './batching-producer';
export * from './kafka-client';
export * from './kafka-connection';
export * from './kafka-health';
export * from './parallel-consumer';
export * from './partition-lane';
export * from './partition-reader';
export * from './topic-admin';
