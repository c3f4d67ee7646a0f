export * from './consumer.metrics';
export * from './gateway.metrics';
export * from './latency-buckets';
export * from './metric-samples';
export * from './processor.metrics';
export * from './producer.metrics';
export * from './registry';
export * from './sweeper.metrics';
