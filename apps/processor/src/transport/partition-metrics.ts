import { Logger } from '@nestjs/common';
import type { ProcessorMetrics } from '@flowgate/metrics';
import { KeyedJobRunner, PartitionLagMonitor, trackPausedPartitions } from '@flowgate/stream';

/** The `job` label of the shared requests topic's consumer (the stateless jobs' lane). */
export const REQUESTS_LANE = 'requests';
const LAG_SAMPLE_MS = 2_000;

type Kafka = Parameters<typeof trackPausedPartitions>[0];

/**
 * Per-partition metrics of everything the processor consumes: lag (from Kafka's committed
 * offsets, sampled), paused partitions of the requests lane, and the watermark of windowed jobs
 * (computed at scrape time, so it grows while a partition is idle).
 */
export class PartitionMetrics {
  private readonly log = new Logger(PartitionMetrics.name);
  private readonly lag: PartitionLagMonitor;
  private readonly tracked: ReturnType<typeof trackPausedPartitions>;
  private requestsTopic = '';
  private requestsOwned: readonly number[] = [];
  private lastLagError = '';

  constructor(
    kafka: Kafka,
    private readonly metrics: ProcessorMetrics,
  ) {
    this.tracked = trackPausedPartitions(kafka);
    this.lag = new PartitionLagMonitor({
      kafka,
      intervalMs: LAG_SAMPLE_MS,
      onLag: (job, lags) => metrics.partitionLag.set(job, lags),
      onError: (error) => {
        // Kafka being away shows elsewhere; say it once, not every two seconds.
        const text = String(error);
        if (text !== this.lastLagError) this.log.warn(`lag sampling failed: ${text}`);
        this.lastLagError = text;
      },
    });
  }

  /** The Kafka client to build the requests lane's consumer with (its paused partitions become visible). */
  requestsLane(groupId: string, topic: string): Kafka {
    this.requestsTopic = topic;
    this.lag.watch(REQUESTS_LANE, { groupId, topic });
    return this.tracked.kafka;
  }

  onRequestsAssigned(partitions: readonly number[]): void {
    this.requestsOwned = partitions;
    this.lag.assign(REQUESTS_LANE, partitions);
    this.onPausedChange();
  }

  onPausedChange(): void {
    const paused = new Set(this.tracked.paused(this.requestsTopic));
    this.metrics.partitionPaused.set(REQUESTS_LANE, new Map(this.requestsOwned.map((p) => [p, paused.has(p) ? 1 : 0])));
  }

  watchJob(runner: KeyedJobRunner, name: string, sourceTopic: string): void {
    this.lag.watch(name, { groupId: runner.groupId, topic: sourceTopic });
    this.metrics.watchWatermarks(() => runner.watermarks().map((w) => ({ job: name, ...w })));
  }

  onJobAssigned(name: string, partitions: readonly number[]): void {
    this.lag.assign(name, partitions);
  }

  onLate(job: string, partition: number, late: number): void {
    if (late > 0) this.metrics.lateEvents.inc({ job, partition: String(partition) }, late);
  }

  start(): void {
    this.lag.start();
  }

  stop(): Promise<void> {
    return this.lag.stop();
  }
}
