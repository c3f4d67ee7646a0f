import { Logger } from '@nestjs/common';
import type { ConsumerOffsets } from '@flowgate/kafka';
import type { ProcessorMetrics } from '@flowgate/metrics';
import type { KeyedJobRunner } from '@flowgate/stream';

/** The `job` label of the shared requests topic's consumer (the stateless jobs' lane). */
export const REQUESTS_LANE = 'requests';
const LAG_SAMPLE_MS = 2_000;

interface Watched {
  readonly groupId: string;
  readonly topic: string;
  /** The partitions this process owns now: the only ones it reports. */
  owned: readonly number[];
}

/**
 * Per-partition metrics of everything the processor consumes: lag (from Kafka's committed
 * offsets, sampled every two seconds for every watched consumer), paused partitions of the
 * requests lane, and the watermark of windowed jobs (computed at scrape time, so it grows while
 * a partition is idle).
 */
export class PartitionMetrics {
  private readonly log = new Logger(PartitionMetrics.name);
  private readonly watched = new Map<string, Watched>();
  private paused: readonly number[] = [];
  private timer: NodeJS.Timeout | undefined;
  private sampling = false;
  private lastLagError = '';

  constructor(
    private readonly offsets: ConsumerOffsets,
    private readonly metrics: ProcessorMetrics,
  ) {}

  watchRequests(groupId: string, topic: string): void {
    this.watched.set(REQUESTS_LANE, { groupId, topic, owned: [] });
  }

  onRequestsAssigned(partitions: readonly number[]): void {
    this.assign(REQUESTS_LANE, partitions);
    this.reportPaused();
  }

  onPausedChange(paused: readonly number[]): void {
    this.paused = paused;
    this.reportPaused();
  }

  watchJob(runner: KeyedJobRunner, name: string, sourceTopic: string): void {
    this.watched.set(name, { groupId: runner.groupId, topic: sourceTopic, owned: [] });
    this.metrics.watchWatermarks(() => runner.watermarks().map((w) => ({ job: name, ...w })));
  }

  onJobAssigned(name: string, partitions: readonly number[]): void {
    this.assign(name, partitions);
  }

  onLate(job: string, partition: number, late: number): void {
    if (late > 0) this.metrics.lateEvents.inc({ job, partition: String(partition) }, late);
  }

  start(): void {
    this.timer = setInterval(() => void this.sampleLag(), LAG_SAMPLE_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.offsets.close();
  }

  private assign(name: string, partitions: readonly number[]): void {
    const watched = this.watched.get(name);
    if (watched) watched.owned = [...partitions];
  }

  private reportPaused(): void {
    const owned = this.watched.get(REQUESTS_LANE)?.owned ?? [];
    const paused = new Set(this.paused);
    this.metrics.partitionPaused.set(REQUESTS_LANE, new Map(owned.map((p) => [p, paused.has(p) ? 1 : 0])));
  }

  /** One round over every watched consumer; a round still running when the next is due is not doubled. */
  private async sampleLag(): Promise<void> {
    if (this.sampling) return;
    this.sampling = true;
    try {
      for (const [name, { groupId, topic, owned }] of this.watched) {
        this.metrics.partitionLag.set(name, await this.offsets.lag(groupId, topic, owned));
      }
    } catch (error) {
      // Kafka being away shows elsewhere; say it once, not every two seconds.
      const text = String(error);
      if (text !== this.lastLagError) this.log.warn(`lag sampling failed: ${text}`);
      this.lastLagError = text;
    } finally {
      this.sampling = false;
    }
  }
}
