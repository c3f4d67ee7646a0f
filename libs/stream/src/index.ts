// By role, as Kafka Streams splits it: the DSL a job is written in, the operators that run its
// steps, the keyed state and its changelog, and the runtime that places jobs and commits batches.
export * from './dsl/job';
export * from './dsl/job-builder';
export * from './dsl/job-module';
export * from './dsl/route-error';
export * from './dsl/topology';
export * from './operators/event-time-windows';
export * from './operators/keyed-limiter';
export * from './operators/run-operators';
export * from './operators/window-assigner';
export * from './state/changelog';
export * from './state/keyed-store';
export * from './state/state-restorer';
export * from './runtime/job-placement';
export * from './runtime/keyed-job-runner';
export * from './runtime/partition-task';
export * from './runtime/transactional-commit';
