import { Consumer, IHeaders, Kafka } from 'kafkajs';
import { ConsumerSupervisor, RestartedBy } from './consumer-supervisor';
import { PartitionLane } from './partition-lane';

export interface ConsumedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: IHeaders | undefined;
  readonly timestamp: string;
}

export interface ParallelConsumerObserver {
  onAssigned(partitions: number[]): void;
  /** The partitions paused now, because their lanes are full. */
  onPausedChange(paused: readonly number[]): void;
  onQueuedChange(queued: number): void;
  onHandlerError(error: unknown, record: ConsumedRecord): void;
  onCommitError(error: unknown): void;
  /** The consumer crashed (usually Kafka out of reach) and is being started again. */
  onCrash(error: Error, restartedBy: RestartedBy): void;
}

export interface ParallelConsumerOptions {
  readonly kafka: Kafka;
  readonly groupId: string;
  readonly topic: string;
  /** Records of one partition handled at the same time. */
  readonly concurrency: number;
  /** Records of one partition held in memory before the partition is paused. */
  readonly maxQueue: number;
  readonly commitIntervalMs: number;
  readonly handle: (record: ConsumedRecord) => Promise<void>;
  readonly observer: ParallelConsumerObserver;
}

/**
 * Consumes a topic in a consumer group and handles records of each partition concurrently (up to
 * `concurrency`), so one slow record does not hold up the ones behind it. A partition whose queue
 * is full is paused and resumed when it has drained to half, so Kafka's lag is the buffer and
 * memory stays flat: a lane never holds more than `maxQueue` records. Offsets are committed only up to the first unfinished record
 * (at-least-once): a crash replays what was not finished, never skips it.
 */
export class ParallelConsumer {
  private readonly supervisor: ConsumerSupervisor;
  private lanes = new Map<number, PartitionLane<ConsumedRecord>>();
  private readonly paused = new Set<number>();
  private readonly committed = new Map<number, string>();
  private commitTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ParallelConsumerOptions) {
    this.supervisor = new ConsumerSupervisor({
      create: () =>
        options.kafka.consumer({
          groupId: options.groupId,
          // The broker's smallest allowed session: a crashed processor's partitions move after ~6 s.
          sessionTimeout: 6_000,
          heartbeatInterval: 1_000,
          rebalanceTimeout: 10_000,
          maxWaitTimeInMs: 100,
          retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 200, maxRetryTime: 2_000 },
        }),
      run: (consumer) => this.run(consumer),
      onCrash: (error, restartedBy) => options.observer.onCrash(error, restartedBy),
    });
  }

  private get consumer(): Consumer {
    return this.supervisor.consumer;
  }

  async start(): Promise<void> {
    await this.supervisor.start();
    this.commitTimer = setInterval(() => void this.commit(), this.options.commitIntervalMs);
  }

  private async run(consumer: Consumer): Promise<void> {
    const { topic } = this.options;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      this.onAssigned(payload.memberAssignment[topic] ?? []);
    });
    // Commit what is finished before partitions move, so their next owner repeats less.
    consumer.on(consumer.events.REBALANCING, () => void this.commit());
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    // A replacement consumer reads again from the last commit: what a lane holds is skipped.
    this.paused.clear();
    this.options.observer.onPausedChange([]);
    await consumer.run({
      autoCommit: false,
      // Offsets are resolved record by record as they enter a lane: what does not fit stays
      // unresolved, and kafkajs fetches it again after the partition is resumed.
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 4,
      eachBatch: async ({ batch, resolveOffset, isStale }) => {
        const lane = this.lanes.get(batch.partition) ?? this.createLane(batch.partition);
        for (const message of batch.messages) {
          if (isStale()) break;
          if (lane.size >= this.options.maxQueue) break;
          const { offset, key, value, headers, timestamp } = message;
          lane.push(offset, { topic, partition: batch.partition, offset, key, value, headers, timestamp });
          resolveOffset(offset);
        }
        if (lane.size >= this.options.maxQueue) this.pause(batch.partition);
        this.reportQueued();
      },
    });
  }

  /** Stops fetching, lets running and queued records finish (up to `timeoutMs`), commits, leaves. */
  async stop(timeoutMs: number): Promise<void> {
    const { topic } = this.options;
    this.consumer.pause([{ topic }]);
    const idle = Promise.all([...this.lanes.values()].map((lane) => lane.idle()));
    await Promise.race([idle, new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
    if (this.commitTimer) clearInterval(this.commitTimer);
    await this.commit();
    await this.supervisor.stop();
  }

  private createLane(partition: number): PartitionLane<ConsumedRecord> {
    const lane = new PartitionLane<ConsumedRecord>({
      concurrency: this.options.concurrency,
      handle: this.options.handle,
      onError: this.options.observer.onHandlerError,
      onDone: () => {
        if (this.paused.has(partition) && lane.size <= this.options.maxQueue / 2) this.resume(partition);
      },
    });
    this.lanes.set(partition, lane);
    return lane;
  }

  private onAssigned(partitions: number[]): void {
    const keep = new Set(partitions);
    for (const [partition, lane] of this.lanes) {
      if (keep.has(partition)) continue;
      lane.close();
      this.lanes.delete(partition);
      this.paused.delete(partition);
      this.committed.delete(partition);
    }
    this.options.observer.onAssigned(partitions);
    this.reportPaused();
  }

  private pause(partition: number): void {
    if (this.paused.has(partition)) return;
    this.paused.add(partition);
    this.consumer.pause([{ topic: this.options.topic, partitions: [partition] }]);
    this.reportPaused();
  }

  private resume(partition: number): void {
    this.paused.delete(partition);
    this.consumer.resume([{ topic: this.options.topic, partitions: [partition] }]);
    this.reportPaused();
    this.reportQueued();
  }

  private reportPaused(): void {
    this.options.observer.onPausedChange([...this.paused].sort((a, b) => a - b));
  }

  private reportQueued(): void {
    let queued = 0;
    for (const lane of this.lanes.values()) queued += lane.size;
    this.options.observer.onQueuedChange(queued);
  }

  private committing = false;

  private async commit(): Promise<void> {
    if (this.committing) return;
    const { topic } = this.options;
    const offsets = [...this.lanes]
      .map(([partition, lane]) => ({ topic, partition, offset: lane.commitOffset }))
      .filter((o): o is { topic: string; partition: number; offset: string } =>
        o.offset !== undefined && this.committed.get(o.partition) !== o.offset);
    this.reportQueued();
    if (offsets.length === 0) return;
    this.committing = true;
    try {
      await this.consumer.commitOffsets(offsets);
      for (const { partition, offset } of offsets) this.committed.set(partition, offset);
    } catch (error) {
      // A commit during a rebalance fails; the next interval (or the new owner) catches up.
      this.options.observer.onCommitError(error);
    } finally {
      this.committing = false;
    }
  }
}
