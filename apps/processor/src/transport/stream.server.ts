import { Inject, Injectable, Logger } from '@nestjs/common';
import { CustomTransportStrategy, Server } from '@nestjs/microservices';
import type { ProcessorConfig } from '@flowgate/config';
import { groupNames, hasRequestHeaders } from '@flowgate/contracts';
import { METRICS_REGISTRY, Readiness } from '@flowgate/http';
import type { ParallelConsumer, RestartedBy } from '@flowgate/kafka';
import { ConsumerMetrics, type ProcessorMetrics, type Registry } from '@flowgate/metrics';
import { Job, JobPlacement, jobRoutes, KeyedJobRunner, OperatorObserver, PartitionedJob, runOperators } from '@flowgate/stream';
import { JOB_PLACEMENT, PROCESSOR_CONFIG, PROCESSOR_METRICS } from '../processor.tokens';
import { ScriptRegistry } from '../scripts/script-registry';
import { afterOutputBeforeCommit } from './failpoint';
import { PartitionMetrics } from './partition-metrics';
import { ProcessorKafka } from './processor-kafka.service';
import { RequestRecords } from './request-records';

/**
 * flowgate's transport for NestJS microservices, running the jobs where their placement says
 * (libs/stream `placeJobs`). Stateless routes on the shared requests topic run on a
 * ParallelConsumer: bounded concurrency per partition, pause/resume backpressure, commits only of
 * finished work (at-least-once; the gateway drops a duplicate reply). Every other job runs on a
 * KeyedJobRunner over its own topic: partitions in order, state restored before the first record,
 * each batch committed exactly once (FLOWGATE_PROCESSING). Before any of it runs, the active
 * scripts are loaded and the routes published to the route catalog, where gateways learn them. A
 * request on the shared topic whose route no job serves goes to the active route script of that
 * name; a processor without shared routes starts its shared consumer once a route script is active.
 */
@Injectable()
export class StreamServer extends Server implements CustomTransportStrategy {
  private readonly log = new Logger(StreamServer.name);
  private consumer: ParallelConsumer | undefined;
  private runners: KeyedJobRunner[] = [];
  private joined = false;
  private closing = false;
  private parallelStarted: Promise<void> | undefined;
  private partitionMetrics: PartitionMetrics | undefined;
  private readonly consumerMetrics: ConsumerMetrics;

  constructor(
    @Inject(JOB_PLACEMENT) private readonly placement: JobPlacement,
    @Inject(PROCESSOR_CONFIG) private readonly config: ProcessorConfig,
    @Inject(PROCESSOR_METRICS) private readonly metrics: ProcessorMetrics,
    private readonly kafka: ProcessorKafka,
    private readonly requests: RequestRecords,
    private readonly scripts: ScriptRegistry,
    readiness: Readiness,
    @Inject(METRICS_REGISTRY) registry: Registry,
  ) {
    super();
    this.consumerMetrics = new ConsumerMetrics(registry, 'processor');
    readiness.register('kafka', () => this.kafka.connection.isReady);
    readiness.register('consumer', () => this.joined);
  }

  /** Every job this server runs, each once. */
  get jobs(): Job[] {
    return [...new Set(this.placement.sharedRoutes.values()), ...this.placement.partitioned.map((p) => p.job)];
  }

  listen(callback: (error?: unknown) => void): void {
    this.start().then(() => callback(), callback);
  }

  async close(): Promise<void> {
    this.joined = false;
    this.closing = true;
    await this.parallelStarted?.catch(() => undefined);
    // Finish what was fetched, bounded by the longest deadline a request can have.
    await Promise.all([this.consumer?.stop(60_000), ...this.runners.map((runner) => runner.stop()), this.partitionMetrics?.stop()]);
    await this.scripts.stop();
    // KafkaModule closes the connection afterwards (Nest closes microservices before its shutdown hooks).
  }

  on(): never {
    throw new Error('StreamServer has no events to subscribe to');
  }

  unwrap<T>(): T {
    return this.consumer as T;
  }

  private async start(): Promise<void> {
    await this.kafka.start(this.placement.topics);
    // Active versions serve from the first request on: a restarted processor answers as the others do.
    await this.scripts.start();
    // Refuses (and so stops the boot) when another job already serves one of these routes.
    await this.kafka.routes.publish(this.placement.catalog);
    this.partitionMetrics = new PartitionMetrics(this.kafka.connection.consumerOffsets(), this.metrics);
    this.runners = this.placement.partitioned.map((partitioned) => this.keyedRunner(partitioned));
    await Promise.all(this.runners.map((runner) => runner.start()));
    const routeScripts = this.config.FLOWGATE_ROUTE_SCRIPTS === 'on';
    if (this.placement.sharedRoutes.size > 0 || (routeScripts && this.scripts.hasRouteScripts)) await this.startParallelOnce();
    else {
      this.joined = true; // nothing to join on the shared topic, until a route script is activated
      if (routeScripts) this.scripts.onRouteScriptActive(() => {
        this.startParallelOnce().catch((error: unknown) => this.log.error(`starting the consumer of ${this.kafka.topics.requests} for route scripts failed: ${String(error)}`));
      });
    }
    this.partitionMetrics.start();
  }

  private startParallelOnce(): Promise<void> {
    if (this.closing) return Promise.resolve();
    this.parallelStarted ??= this.startParallel();
    return this.parallelStarted;
  }

  private async startParallel(): Promise<void> {
    this.joined = false;
    const { config, metrics } = this;
    const partitionMetrics = this.partitionMetrics!;
    const routeScripts = config.FLOWGATE_ROUTE_SCRIPTS === 'on' ? this.scripts : undefined;
    const groupId = groupNames(config.FLOWGATE_TOPIC_PREFIX).processor;
    partitionMetrics.watchRequests(groupId, this.kafka.topics.requests);
    this.consumer = this.kafka.connection.parallelConsumer({
      groupId,
      topic: this.kafka.topics.requests,
      concurrency: config.FLOWGATE_PARTITION_CONCURRENCY,
      maxQueue: config.FLOWGATE_PARTITION_QUEUE,
      commitIntervalMs: config.FLOWGATE_COMMIT_INTERVAL_MS,
      handle: async (record) => {
        const { outputs, deadline } = await this.requests.handle(record, (route) => this.runner(route), routeScripts);
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
        onPausedChange: (paused) => {
          metrics.pausedPartitions.set(paused.length);
          partitionMetrics.onPausedChange(paused);
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

  private keyedRunner({ job: keyedJob, sourceTopic }: PartitionedJob): KeyedJobRunner {
    const { name, source } = keyedJob;
    const prefix = this.config.FLOWGATE_TOPIC_PREFIX;
    const routes = new Set(jobRoutes(keyedJob).map((r) => r.name));
    const events = source.kind === 'routes' && source.events;
    const partitionMetrics = this.partitionMetrics!;
    const beforeOffsetCommit = afterOutputBeforeCommit(this.config.FLOWGATE_FAILPOINT);
    const runner = new KeyedJobRunner({
      kafka: this.kafka.connection,
      job: keyedJob,
      mode: this.config.FLOWGATE_PROCESSING,
      prefix,
      sourceTopic,
      observeOperator: this.observeOperator(keyedJob),
      scripts: this.scripts,
      maxOutputBytes: this.config.FLOWGATE_MAX_OUTPUT_BYTES,
      ...(beforeOffsetCommit ? { beforeOffsetCommit } : {}),
      handle: async (record, run) => {
        const isRequest = hasRequestHeaders(record.headers);
        // A topic job's input may carry another job's requests (queries share their job's topic): not its events.
        if (source.kind === 'topic') return isRequest ? [] : this.requests.handleEvent(record, run, name);
        if (events && !isRequest) return this.requests.handleEvent(record, run, name);
        return (await this.requests.handle(record, (route) => (routes.has(route) ? run : undefined))).outputs;
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
        onSkipped: (partition, records) => {
          this.metrics.skippedRecords.inc({ job: name }, records);
          this.log.log(`job ${name}: passed over ${records} record(s) of partition ${partition} its state already holds`);
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
  private runner(route: string) {
    const routeJob = this.placement.sharedRoutes.get(route);
    if (!routeJob) return undefined;
    return (value: unknown, ctx: Parameters<typeof runOperators>[2]) =>
      runOperators(routeJob, value, ctx, { observe: this.observeOperator(routeJob), scripts: this.scripts });
  }
}
