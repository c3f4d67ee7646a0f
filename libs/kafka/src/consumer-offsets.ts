import { Admin, Kafka } from 'kafkajs';

/** Where a topic's partitions end, and where a group has committed on them, as the admin API reports. */
export interface PartitionEnds {
  readonly ends: readonly { partition: number; low: string; high: string }[];
  /** The group's committed offset per partition; "-1" where it never committed. */
  readonly committed: readonly { partition: number; offset: string }[];
}

/**
 * Reads consumer groups' committed offsets against the end of their topics, with one admin
 * client kept between calls (a lag sampler asks every few seconds). Committed, not fetched: work
 * fetched and not yet finished is still work to do, which is the lag an autoscaler should see.
 *
 * @example
 * const offsets = connection.consumerOffsets();
 * await offsets.lag('flowgate.job.clicks', 'flowgate.clicks', [0, 3]); // Map { 0 => 12, 3 => 0 }
 */
export class ConsumerOffsets {
  private admin: Promise<Admin> | undefined;

  constructor(private readonly kafka: Kafka) {}

  /** Records from the group's committed offset to the end of each of `partitions`. */
  async lag(groupId: string, topic: string, partitions: readonly number[]): Promise<Map<number, number>> {
    if (partitions.length === 0) return new Map();
    const admin = await this.connectedAdmin();
    const [ends, committed] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
    return lagOf({ ends, committed: committed.find((t) => t.topic === topic)?.partitions ?? [] }, partitions);
  }

  /**
   * The group's committed offset on one partition (the next offset it reads), or undefined where
   * it never committed. Offsets a transaction commits show here once the transaction is complete.
   */
  async committed(groupId: string, topic: string, partition: number): Promise<bigint | undefined> {
    const admin = await this.connectedAdmin();
    const [topicOffsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const offset = topicOffsets?.partitions.find((p) => p.partition === partition)?.offset;
    return offset === undefined || Number(offset) < 0 ? undefined : BigInt(offset);
  }

  async close(): Promise<void> {
    const admin = await this.admin?.catch(() => undefined);
    this.admin = undefined;
    await admin?.disconnect();
  }

  /** One admin, connected once, even when several calls start together (partitions taken at once). */
  private connectedAdmin(): Promise<Admin> {
    if (!this.admin) {
      const admin = this.kafka.admin();
      const connecting = admin.connect().then(() => admin);
      // A failed connect is tried again by the next call.
      connecting.catch(() => this.admin === connecting && (this.admin = undefined));
      this.admin = connecting;
    }
    return this.admin;
  }
}

/** The lag of each of `partitions`; a partition the group never committed on is read from its start. */
export function lagOf({ ends, committed }: PartitionEnds, partitions: readonly number[]): Map<number, number> {
  const at = new Map(committed.map((p) => [p.partition, Number(p.offset)]));
  const lags = new Map<number, number>();
  for (const end of ends) {
    if (!partitions.includes(end.partition)) continue;
    const from = at.get(end.partition) ?? -1;
    lags.set(end.partition, Math.max(0, Number(end.high) - (from >= 0 ? from : Number(end.low))));
  }
  return lags;
}
