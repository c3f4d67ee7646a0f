import { Inject, Injectable, Logger } from '@nestjs/common';
import { CustomTransportStrategy, Server } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import type { ProcessorConfig } from '@flowgate/config';
import { decodeRequestHeaders, groupNames, isRouteName, problem, ProtocolError, RequestMeta } from '@flowgate/contracts';
import { Readiness } from '@flowgate/http';
import { ConsumedRecord, ParallelConsumer } from '@flowgate/kafka';
import type { ProcessorMetrics } from '@flowgate/metrics';
import { Job, job, RecordContext, RouteError, RouteReply, runOperators } from '@flowgate/stream';
import { JOBS } from '../jobs/jobs.token';
import { PROCESSOR_CONFIG, PROCESSOR_METRICS } from '../processor.tokens';
import { ProcessorKafka } from './processor-kafka.service';
import { RequestContext } from './request-context';

/**
 * flowgate's transport for NestJS microservices. Instead of Nest's stock Kafka server (one
 * message at a time, auto-commit), it runs a ParallelConsumer over the requests topic: bounded
 * concurrency per partition, pause/resume backpressure, commits only of finished work. Each
 * record goes to the job whose source is the route named in its header — a job from `JOBS`, or a
 * `@MessagePattern(route)` handler run as a one-operator job — and the job's result goes back to
 * the gateway's reply partition.
 */
@Injectable()
export class StreamServer extends Server implements CustomTransportStrategy {
  private readonly log = new Logger(StreamServer.name);
  private consumer: ParallelConsumer | undefined;
  private joined = false;
  private routeJobs = new Map<string, Job>();

  constructor(
    @Inject(JOBS) private readonly declaredJobs: Job[],
    @Inject(PROCESSOR_CONFIG) private readonly config: ProcessorConfig,
    @Inject(PROCESSOR_METRICS) private readonly metrics: ProcessorMetrics,
    private readonly kafka: ProcessorKafka,
    readiness: Readiness,
  ) {
    super();
    readiness.register('kafka', () => this.kafka.connection.isConnected && this.kafka.connection.health.isUp);
    readiness.register('consumer', () => this.joined);
  }

  listen(callback: (error?: unknown) => void): void {
    this.start().then(() => callback(), callback);
  }

  async close(): Promise<void> {
    this.joined = false;
    // Finish what was fetched, bounded by the longest deadline a request can have.
    await this.consumer?.stop(60_000);
    await this.kafka.close();
  }

  on(): never {
    throw new Error('StreamServer has no events to subscribe to');
  }

  unwrap<T>(): T {
    return this.consumer as T;
  }

  /** Every job this server runs, in the order they were declared. */
  get jobs(): Job[] {
    return [...this.routeJobs.values()];
  }

  private async start(): Promise<void> {
    this.routeJobs = this.collectJobs();
    await this.kafka.start();
    const { config, metrics } = this;
    this.consumer = new ParallelConsumer({
      kafka: this.kafka.connection.kafka,
      groupId: groupNames(config.FLOWGATE_TOPIC_PREFIX).processor,
      topic: this.kafka.topics.requests,
      concurrency: config.FLOWGATE_PARTITION_CONCURRENCY,
      maxQueue: config.FLOWGATE_PARTITION_QUEUE,
      commitIntervalMs: config.FLOWGATE_COMMIT_INTERVAL_MS,
      handle: (record) => this.process(record),
      observer: {
        onAssigned: (partitions) => {
          this.joined = true;
          metrics.rebalances.inc();
          metrics.assignedPartitions.set(partitions.length);
          this.log.log(`assigned partitions [${partitions.join(',')}] of ${this.kafka.topics.requests}`);
        },
        onPausedChange: (count) => metrics.pausedPartitions.set(count),
        onQueuedChange: (count) => metrics.queuedRecords.set(count),
        onHandlerError: (error, record) =>
          this.log.error(`record ${record.partition}/${record.offset} failed outside its handler: ${String(error)}`),
        onCommitError: (error) => this.log.warn(`offset commit failed (retried next interval): ${String(error)}`),
      },
    });
    await this.consumer.start();
  }

  private async process(record: ConsumedRecord): Promise<void> {
    let meta: RequestMeta;
    try {
      meta = decodeRequestHeaders(record.headers);
      if (!this.kafka.isReplyPartition(meta.replyPartition)) {
        throw new ProtocolError(`reply partition ${meta.replyPartition} does not exist`);
      }
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      this.metrics.records.inc({ route: 'unknown', result: 'invalid' });
      await this.kafka.deadLetter(record, error.message, 'protocol');
      return;
    }
    const { route } = meta;
    if (Date.now() >= meta.deadline) {
      // Nobody waits for this any more: skipping it is what lets a backlog drain fast.
      this.metrics.records.inc({ route, result: 'expired' });
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(record.value?.toString('utf8') ?? '');
    } catch (error) {
      this.metrics.records.inc({ route, result: 'invalid' });
      const reason = `value is not JSON: ${(error as Error).message}`;
      await Promise.all([
        this.kafka.deadLetter(record, reason, 'protocol'),
        this.kafka.replyProblem(meta, problem('badBody', reason, meta.requestId)),
      ]);
      return;
    }
    await this.invoke(record, meta, body);
  }

  private async invoke(record: ConsumedRecord, meta: RequestMeta, body: unknown): Promise<void> {
    const { route } = meta;
    const routeJob = this.routeJobs.get(route);
    const started = process.hrtime.bigint();
    try {
      if (!routeJob) throw new Error(`no job or handler serves route "${route}"`);
      const ctx: RecordContext = { id: meta.requestId, partition: record.partition, timestamp: Number(record.timestamp), deadline: meta.deadline };
      const [answer] = await runOperators(routeJob, body, ctx);
      // A job that filtered its value out has nothing to say: 204.
      const reply = answer instanceof RouteReply ? answer : new RouteReply(answer === undefined ? 204 : 200, answer);
      this.metrics.records.inc({ route, result: 'processed' });
      await this.kafka.reply(meta, reply.status, reply.body);
    } catch (error) {
      if (error instanceof RouteError) {
        this.metrics.records.inc({ route, result: 'rejected' });
        await this.kafka.replyProblem(meta, problem(error.problem, error.message, meta.requestId));
        return;
      }
      this.metrics.records.inc({ route, result: 'failed' });
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      this.log.error(`route ${route} failed for ${meta.requestId}: ${error instanceof Error ? error.stack : reason}`);
      // The caller learns that it failed, not how: stack traces stay in the log and the DLQ.
      await Promise.all([
        this.kafka.deadLetter(record, reason, 'handler'),
        this.kafka.replyProblem(meta, problem('handlerFailed', `route ${route} failed`, meta.requestId)),
      ]);
    } finally {
      this.metrics.handlerDuration.observe({ route }, Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  /** Declared jobs, plus each `@MessagePattern(route)` handler as a job of one operator. */
  private collectJobs(): Map<string, Job> {
    const jobs = new Map<string, Job>();
    for (const declared of this.declaredJobs) {
      if (declared.source.kind === 'route') jobs.set(declared.source.route, declared);
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
