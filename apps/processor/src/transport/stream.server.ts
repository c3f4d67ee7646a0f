import { Inject, Injectable, Logger } from '@nestjs/common';
import { CustomTransportStrategy, Server } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import type { ProcessorConfig } from '@flowgate/config';
import { groupNames, HEADERS, headerString, isRouteName, RouteName, routeTopic } from '@flowgate/contracts';
import { METRICS_REGISTRY, Readiness } from '@flowgate/http';
import { ConsumedRecord, ensureTopics, ParallelConsumer, RestartedBy } from '@flowgate/kafka';
import { ConsumerMetrics, type ProcessorMetrics, type Registry } from '@flowgate/metrics';
import { changelogTopic, isKeyed, Job, job, KeyedJobRunner, OperatorObserver, outputTopics, runOperators } from '@flowgate/stream';
import { JOBS } from '../jobs/jobs.token';
import { PROCESSOR_CONFIG, PROCESSOR_METRICS } from '../processor.tokens';
import { afterOutputBeforeCommit } from './failpoint';
import { PartitionMetrics } from './partition-metrics';
import { ProcessorKafka } from './processor-kafka.service';
import { RequestContext } from './request-context';
import { RequestRecords } from './request-records';

/**
 * flowgate's transport for NestJS microservices. Stateless routes run on a ParallelConsumer over
 * the shared requests topic: bounded concurrency per partition, pause/resume backpressure,
 * commits only of finished work (at-least-once; the gateway drops a duplicate reply). Jobs with
 * keyed state run on a KeyedJobRunner over their own topic: partitions in order, state restored
 * before the first record, each batch committed exactly once (FLOWGATE_PROCESSING); so do jobs
 * that read a topic of their own. Routes are served by jobs from `JOBS` or by
 * `@MessagePattern(route)` handlers run as one-operator jobs.
 */
@Injectable()
export class StreamServer extends Server implements CustomTransportStrategy {
  private readonly log = new Logger(StreamServer.name);
  private consumer: ParallelConsumer | undefined;
  private runners: KeyedJobRunner[] = [];
  private joined = false;
  private routeJobs = new Map<RouteName, Job>();
  private topicJobs: Job[] = [];
  private partitionMetrics: PartitionMetrics | undefined;
  private readonly consumerMetrics: ConsumerMetrics;

  constructor(
    @Inject(JOBS) private readonly declaredJobs: Job[],
    @Inject(PROCESSOR_CONFIG) private readonly config: ProcessorConfig,
    @Inject(PROCESSOR_METRICS) private readonly metrics: ProcessorMetrics,
    private readonly kafka: ProcessorKafka,
    private readonly requests: RequestRecords,
    readiness: Readiness,
    @Inject(METRICS_REGISTRY) registry: Registry,
  ) {
    super();
    this.consumerMetrics = new ConsumerMetrics(registry, 'processor');
    readiness.register('kafka', () => this.kafka.connection.isConnected && this.kafka.connection.health.isUp);
    readiness.register('consumer', () => this.joined);
  }

  /** Every job this server runs, each once. */
  get jobs(): Job[] {
    return [...new Set(this.routeJobs.values()), ...this.topicJobs];
  }

  listen(callback: (error?: unknown) => void): void {
    this.start().then(() => callback(), callback);
  }

  async close(): Promise<void> {
    this.joined = false;
    // Finish what was fetched, bounded by the longest deadline a request can have.
    await Promise.all([this.consumer?.stop(60_000), ...this.runners.map((runner) => runner.stop()), this.partitionMetrics?.stop()]);
    await this.kafka.close();
  }

  on(): never {
    throw new Error('StreamServer has no events to subscribe to');
  }

  unwrap<T>(): T {
    return this.consumer as T;
  }

  private async start(): Promise<void> {
    this.routeJobs = this.collectJobs();
    this.topicJobs = this.declaredJobs.filter((j) => j.source.kind === 'topic');
    for (const j of this.jobs) {
      // Records a job emits are written with its batch's commit, which only keyed runs have.
      if (!isKeyed(j) && j.source.kind !== 'topic' && j.sink.kind === 'topic') throw new Error(`job ${j.name}: a stateless route job cannot write to a topic`);
    }
    await this.kafka.start();
    this.partitionMetrics = new PartitionMetrics(this.kafka.connection.kafka, this.metrics);
    const runnable = this.jobs.filter((j) => isKeyed(j) || j.source.kind === 'topic');
    const partitions = this.config.FLOWGATE_REQUEST_PARTITIONS;
    await ensureTopics(this.kafka.connection.kafka, [
      ...runnable.map((j) => ({
        topic: changelogTopic(this.config.FLOWGATE_TOPIC_PREFIX, j.name),
        numPartitions: partitions,
        configs: { 'cleanup.policy': 'compact' },
      })),
      ...[...new Set(this.jobs.flatMap(outputTopics))].map((topic) => ({ topic, numPartitions: partitions })),
    ]);
    this.runners = runnable.map((keyedJob) => this.keyedRunner(keyedJob));
    await Promise.all(this.runners.map((runner) => runner.start()));
    await this.startParallel();
    this.partitionMetrics.start();
  }

  private async startParallel(): Promise<void> {
    const { config, metrics } = this;
    const partitionMetrics = this.partitionMetrics!;
    const groupId = groupNames(config.FLOWGATE_TOPIC_PREFIX).processor;
    this.consumer = new ParallelConsumer({
      kafka: partitionMetrics.requestsLane(groupId, this.kafka.topics.requests),
      groupId,
      topic: this.kafka.topics.requests,
      concurrency: config.FLOWGATE_PARTITION_CONCURRENCY,
      maxQueue: config.FLOWGATE_PARTITION_QUEUE,
      commitIntervalMs: config.FLOWGATE_COMMIT_INTERVAL_MS,
      handle: async (record) => {
        const { outputs, deadline } = await this.requests.handle(record, (route) => this.runner(route, record));
        await this.kafka.send(outputs, deadline);
      },
      observer: {
        onAssigned: (partitions) => {
          this.joined = true;
          metrics.rebalances.inc();
          metrics.assignedPartitions.set(partitions.length);
          partitionMetrics.onRequestsAssigned(partitions);
          this.log.log(`assigned partitions [${partitions.join(',')}] of ${this.kafka.topics.requests}`);
        },
        onPausedChange: (count) => {
          metrics.pausedPartitions.set(count);
          partitionMetrics.onPausedChange();
        },
        onQueuedChange: (count) => metrics.queuedRecords.set(count),
        onHandlerError: (error, record) =>
          this.log.error(`record ${record.partition}/${record.offset} failed outside its handler: ${String(error)}`),
        onCommitError: (error) => this.log.warn(`offset commit failed (retried next interval): ${String(error)}`),
        onCrash: (error, restartedBy) => {
          // Not ready until the replacement has joined the group and been assigned partitions.
          this.joined = false;
          this.onConsumerCrash('requests', error, restartedBy);
        },
      },
    });
    await this.consumer.start();
  }

  private keyedRunner(keyedJob: Job): KeyedJobRunner {
    const { name, source } = keyedJob;
    const prefix = this.config.FLOWGATE_TOPIC_PREFIX;
    const routes = source.kind === 'routes' ? source.routes : [];
    const events = source.kind === 'routes' && source.events;
    const sourceTopic = source.kind === 'topic' ? source.topic : routeTopic(routes[0], prefix);
    const partitionMetrics = this.partitionMetrics!;
    const beforeOffsetCommit = afterOutputBeforeCommit(this.config.FLOWGATE_FAILPOINT);
    const runner = new KeyedJobRunner({
      kafka: this.kafka.connection.kafka,
      job: keyedJob,
      mode: this.config.FLOWGATE_PROCESSING,
      prefix,
      sourceTopic,
      sharedProducer: this.kafka.connection.rawProducer,
      observeOperator: this.observeOperator(keyedJob),
      ...(beforeOffsetCommit ? { beforeOffsetCommit } : {}),
      handle: async (record, run) => {
        const isRequest = headerString(record.headers, HEADERS.route) !== undefined;
        // A topic job's input may carry another job's requests (queries share their job's topic): not its events.
        if (source.kind === 'topic') return isRequest ? [] : this.requests.handleEvent(record, run);
        if (events && !isRequest) return this.requests.handleEvent(record, run);
        return (await this.requests.handle(record, (route) => (routes.includes(route) ? run : undefined))).outputs;
      },
      observer: {
        onAssigned: (partitions) => {
          partitionMetrics.onJobAssigned(name, partitions);
          this.log.log(`job ${name}: assigned partitions [${partitions.join(',')}] of ${sourceTopic}`);
        },
        onRestored: (partition, changes, seconds) => {
          this.metrics.restoreDuration.observe({ job: name }, seconds);
          this.log.log(`job ${name}: partition ${partition} restored (${changes} changes, ${seconds.toFixed(2)} s)`);
        },
        onBatch: (partition, { seconds, outputs, late }) => {
          this.metrics.batchCommits.inc({ job: name, result: 'committed' });
          for (const { topic } of outputs) this.metrics.outputRecords.inc({ job: name, topic: topic.slice(prefix.length) });
          this.metrics.batchDuration.observe({ job: name }, seconds);
          this.metrics.stateEntries.set({ job: name }, runner.stateSize);
          partitionMetrics.onLate(name, partition, late);
        },
        onCommitFailed: (partition, error) => {
          this.metrics.batchCommits.inc({ job: name, result: 'aborted' });
          this.log.warn(`job ${name}: batch of partition ${partition} rolled back: ${String(error)}`);
        },
        onStartFailed: (partition, error) => this.log.warn(`job ${name}: taking partition ${partition} failed (tried again): ${String(error)}`),
        onCrash: (error, restartedBy) => this.onConsumerCrash(`job:${name}`, error, restartedBy),
      },
    });
    partitionMetrics.watchJob(runner, name, sourceTopic);
    return runner;
  }

  private onConsumerCrash(consumer: string, error: Error, restartedBy: RestartedBy): void {
    this.consumerMetrics.crashes.inc({ consumer, restarted_by: restartedBy });
    this.log.warn(`consumer of ${consumer} crashed, restarted by ${restartedBy}: ${error.message}`);
  }

  /** Per-operator records and latency of one job, as metrics. */
  private observeOperator(observed: Job): OperatorObserver {
    const { operatorRecords, operatorDuration } = this.metrics;
    return (operator, counts, seconds) => {
      operatorRecords.inc({ job: observed.name, operator, direction: 'in' }, counts.in);
      operatorRecords.inc({ job: observed.name, operator, direction: 'out' }, counts.out);
      operatorDuration.observe({ job: observed.name, operator }, seconds);
    };
  }

  /** The stateless job serving a route on the shared requests topic. */
  private runner(route: RouteName, record: ConsumedRecord) {
    const routeJob = this.routeJobs.get(route);
    if (!routeJob || isKeyed(routeJob)) {
      if (routeJob) this.log.warn(`record ${record.partition}/${record.offset}: keyed route ${route} arrived on the shared topic`);
      return undefined;
    }
    return (value: unknown, ctx: Parameters<typeof runOperators>[2]) => runOperators(routeJob, value, ctx, { observe: this.observeOperator(routeJob) });
  }

  /** Declared jobs, plus each `@MessagePattern(route)` handler as a job of one operator. */
  private collectJobs(): Map<RouteName, Job> {
    const jobs = new Map<RouteName, Job>();
    for (const declared of this.declaredJobs) {
      const { source } = declared;
      if (source.kind === 'route') jobs.set(source.route, declared);
      if (source.kind === 'routes') for (const route of source.routes) jobs.set(route, declared);
    }
    for (const [pattern, handler] of this.getHandlers()) {
      if (!isRouteName(pattern)) throw new Error(`@MessagePattern('${pattern}') names no route of the registry`);
      if (jobs.has(pattern)) throw new Error(`route ${pattern} has both a job and a @MessagePattern handler`);
      const handlerJob = job(pattern)
        .fromRoute(pattern)
        .map('handler', async (body, ctx) =>
          lastValueFrom(this.transformToObservable(await handler(body, new RequestContext([ctx]))), { defaultValue: undefined }),
        )
        .toReply();
      jobs.set(pattern, handlerJob);
    }
    return jobs;
  }
}
