/**
 * The work of one partition inside one consumer: a bounded queue, a cap on records handled at
 * once, and the offset that is safe to commit (every record below it is finished, whatever order
 * they finished in). Pure logic: the consumer wires it to kafkajs.
 *
 * @example
 * const lane = new PartitionLane<Msg>({ concurrency: 2, handle: work, onError: log });
 * lane.push('5', msg);            // starts at once: below the concurrency cap
 * lane.commitOffset;              // '5' until record 5 is done, then '6'
 */
export class PartitionLane<T> {
  private readonly queue: { offset: bigint; item: T }[] = [];
  /** Offsets started or queued and not yet finished, ascending, with their done flag. */
  private readonly window: { offset: bigint; done: boolean }[] = [];
  private running = 0;
  private highestSeen = -1n;
  private committable: bigint | undefined;
  private closed = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly options: {
      concurrency: number;
      handle: (item: T) => Promise<void>;
      /** A handler that throws is a bug in it; the record still counts as finished. */
      onError: (error: unknown, item: T) => void;
      onDone?: () => void;
    },
  ) {}

  /**
   * Queues a record. Records at or below an offset seen before are ignored: after a rebalance
   * that leaves this partition here, kafkajs fetches again from the last commit.
   */
  push(offset: string, item: T): void {
    const value = BigInt(offset);
    if (this.closed || value <= this.highestSeen) return;
    this.highestSeen = value;
    this.queue.push({ offset: value, item });
    this.window.push({ offset: value, done: false });
    this.pump();
  }

  /** Records queued or running. */
  get size(): number {
    return this.queue.length + this.running;
  }

  /** Offset to commit (the next one to read), or undefined when nothing finished since creation. */
  get commitOffset(): string | undefined {
    return this.committable?.toString();
  }

  /** Drops queued records (they will be read again by the partition's next owner). */
  close(): void {
    this.closed = true;
    for (const { offset } of this.queue.splice(0)) {
      const index = this.window.findIndex((w) => w.offset === offset);
      if (index >= 0) this.window.splice(index, 1);
    }
  }

  /** Resolves when nothing is running or queued. */
  idle(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    while (this.running < this.options.concurrency && this.queue.length > 0) {
      const next = this.queue.shift()!;
      this.running++;
      void this.run(next.offset, next.item);
    }
  }

  private async run(offset: bigint, item: T): Promise<void> {
    try {
      await this.options.handle(item);
    } catch (error) {
      this.options.onError(error, item);
    } finally {
      this.running--;
      this.finish(offset);
      this.options.onDone?.();
      this.pump();
      if (this.size === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  private finish(offset: bigint): void {
    const entry = this.window.find((w) => w.offset === offset);
    if (entry) entry.done = true;
    while (this.window.length > 0 && this.window[0].done) {
      this.committable = this.window.shift()!.offset + 1n;
    }
  }
}
