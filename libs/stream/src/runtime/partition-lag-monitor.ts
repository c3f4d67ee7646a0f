import { Admin, Kafka } from 'kafkajs';

export interface PartitionLagMonitorOptions {
  readonly kafka: Kafka;
  readonly intervalMs: number;
  /** The lag of each owned partition of one watched consumer: records from its committed offset to the end. */
  readonly onLag: (name: string, lags: ReadonlyMap<number, number>) => void;
  readonly onError?: (error: unknown) => void;
}

interface Watched {
  readonly groupId: string;
  readonly topic: string;
  owned: number[];
}

/**
 * Consumer lag per partition, as Kafka sees it (what an autoscaler on lag sees): the topic's end
 * offset minus the group's committed offset, for the partitions this process owns, sampled every
 * `intervalMs` with one admin client for every watched consumer. Committed, not fetched: work
 * fetched and not yet finished is still work to do.
 *
 * @example
 * const lag = new PartitionLagMonitor({ kafka, intervalMs: 2_000, onLag: (name, lags) => gauge.set(name, lags) });
 * lag.watch('clicks', { groupId: 'flowgate.job.clicks', topic: 'flowgate.clicks' });
 * lag.assign('clicks', [0, 3]);   // from the consumer's GROUP_JOIN
 * lag.start();
 */
export class PartitionLagMonitor {
  private readonly watched = new Map<string, Watched>();
  private admin: Admin | undefined;
  private timer: NodeJS.Timeout | undefined;
  private sampling = false;

  constructor(private readonly options: PartitionLagMonitorOptions) {}

  watch(name: string, consumer: { groupId: string; topic: string }): void {
    this.watched.set(name, { ...consumer, owned: [] });
  }

  /** The partitions of a watched consumer this process owns now (the only ones it reports). */
  assign(name: string, partitions: readonly number[]): void {
    const watched = this.watched.get(name);
    if (watched) watched.owned = [...partitions];
  }

  start(): void {
    this.timer = setInterval(() => void this.sample(), this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.admin?.disconnect();
  }

  /** One round of sampling (the timer's); overlapping calls are skipped. */
  async sample(): Promise<void> {
    if (this.sampling) return;
    this.sampling = true;
    try {
      const admin = await this.connectedAdmin();
      for (const [name, watched] of this.watched) {
        const owned = watched.owned;
        if (owned.length === 0) {
          this.options.onLag(name, new Map());
          continue;
        }
        const [ends, committed] = await Promise.all([
          admin.fetchTopicOffsets(watched.topic),
          admin.fetchOffsets({ groupId: watched.groupId, topics: [watched.topic] }),
        ]);
        const at = new Map(committed.find((t) => t.topic === watched.topic)?.partitions.map((p) => [p.partition, Number(p.offset)]) ?? []);
        const lags = new Map<number, number>();
        for (const end of ends) {
          if (!owned.includes(end.partition)) continue;
          // -1: the group never committed here; it reads from the beginning.
          const from = at.get(end.partition) ?? -1;
          lags.set(end.partition, Math.max(0, Number(end.high) - (from >= 0 ? from : Number(end.low))));
        }
        this.options.onLag(name, lags);
      }
    } catch (error) {
      this.options.onError?.(error);
    } finally {
      this.sampling = false;
    }
  }

  private async connectedAdmin(): Promise<Admin> {
    if (this.admin) return this.admin;
    const admin = this.options.kafka.admin();
    await admin.connect();
    this.admin = admin;
    return admin;
  }
}
