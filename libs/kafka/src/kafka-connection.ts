import { Consumer, Kafka, Partitioners, Producer, RecordMetadata, TopicMessages } from 'kafkajs';
import { BatchingProducer, MAX_REQUEST_BYTES, OutgoingRecord, ProduceObserver } from './batching-producer';
import { CompactedTopicReader } from './compacted-topic-reader';
import { ConsumerOffsets } from './consumer-offsets';
import { kafkaAccessError } from './kafka-access';
import { createKafka, KafkaClientOptions, NEVER_PAUSED_MAX_WAIT_MS } from './kafka-client';
import { KafkaHealth } from './kafka-health';
import { ParallelConsumer, ParallelConsumerOptions } from './parallel-consumer';
import { PartitionReader, PartitionReaderOptions } from './partition-reader';
import { pinnedPartitionAssigner } from './pinned-partition-assigner';
import { ensureTopics, partitionCount, TopicSpec } from './topic-admin';

export interface KafkaConnectionOptions extends KafkaClientOptions {
  /** A topic that exists, asked for by the health probe. */
  readonly probeTopic: string;
  /**
   * How long a produce may wait for Kafka's acknowledgement before it fails (default 15 s:
   * kafkajs's own timeouts and retries end a produce sooner; this bounds one that hangs, so it
   * cannot hold a slot of the batching producer for good).
   */
  readonly ackTimeoutMs?: number;
  /** How long a produce request waits for more records to join it (FLOWGATE_PRODUCE_LINGER_MS; here 0 unless given). */
  readonly lingerMs?: number;
  readonly observer?: ProduceObserver;
}

/**
 * An app's connection to Kafka: one client, one batching producer and the health breaker that
 * watches it. Apps send through `send()`, read `health`, and get topics, consumers and offsets
 * through the methods here; they never see kafkajs itself. The stream runtime gets its consumers
 * and transactional producers here too. Use it through `KafkaModule`.
 */
export class KafkaConnection {
  private readonly kafka: Kafka;
  readonly health: KafkaHealth;
  private readonly producer: Producer;
  private readonly batching: BatchingProducer;
  private connected = false;
  private readonly user: string | undefined;

  constructor(options: KafkaConnectionOptions) {
    this.kafka = createKafka(options);
    this.user = options.sasl?.username;
    this.health = new KafkaHealth(this.kafka, options.probeTopic);
    // acks=all on every send, but not idempotent (README "Durability"): kafkajs 2.2.4 rolls a
    // partition's sequence numbers back when a produce request fails and hands them to whatever it
    // sends next there. After a request that was written but whose acknowledgement was lost (a
    // leader crash), the broker takes the next batch of as many records for a duplicate and
    // acknowledges it unwritten, or refuses every later batch as out of order. Only unlimited
    // retries of one request at a time avoid that; this producer fails fast (two retries, so the
    // gateway answers 503) with four batches in flight, which kafkajs's per-broker lock around an
    // idempotent request would serialise anyway. Exactly-once output goes through the
    // transactional producers below, which retry without limit.
    this.producer = this.kafka.producer({
      allowAutoTopicCreation: false,
      // Murmur2 on the key, as the Java client does: a key lands on the same partition whoever writes it.
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 500 } });
    this.producer.on(this.producer.events.DISCONNECT, () => {
      this.connected = false;
    });
    this.producer.on(this.producer.events.CONNECT, () => {
      this.connected = true;
    });
    const observer = options.observer;
    this.batching = new BatchingProducer(this.producer, {
      maxBatch: 1_000,
      maxBatchBytes: MAX_REQUEST_BYTES,
      maxInFlight: 4,
      lingerMs: options.lingerMs,
      ackTimeoutMs: options.ackTimeoutMs ?? 15_000,
      observer: {
        onBatch: (size, seconds) => {
          this.health.markSuccess();
          observer?.onBatch(size, seconds);
        },
        onError: (error) => {
          if (isUnavailable(error)) this.health.markFailure();
          observer?.onError(error);
        },
      },
    });
  }

  get isConnected(): boolean {
    return this.connected;
  }

  /** Connected, and the breaker closed: an app's readiness check for Kafka. */
  get isReady(): boolean {
    return this.connected && this.health.isUp;
  }

  /**
   * Connects the producer. This and the other calls apps make at boot (`ensureTopics`,
   * `partitionCount`, `readTable`) reject with an `AccessError` naming the problem when Kafka
   * refuses the credentials, the certificate or an ACL; an outage rejects as kafkajs reports it.
   */
  connect(): Promise<void> {
    return this.explained('connecting', () => this.producer.connect());
  }

  /** `step`, with Kafka's refusals of this client turned into an `AccessError` (see `kafkaAccessError`). */
  private async explained<T>(doing: string, step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (error) {
      throw kafkaAccessError(error, { user: this.user, doing }) ?? error;
    }
  }

  /** Resolves when Kafka has acknowledged the record. */
  send(record: OutgoingRecord): Promise<void> {
    return this.batching.send(record);
  }

  /**
   * A compacted topic as it is now: the newest value of each key in offset order (null for a
   * key whose newest record is a tombstone), read in a consumer group of its own.
   */
  async readTable(topic: string, groupPrefix: string): Promise<Map<string, Buffer | null>> {
    const table = new Map<string, Buffer | null>();
    let crash: Error | undefined;
    const reader = new CompactedTopicReader({
      kafka: this.kafka,
      topic,
      groupPrefix,
      onRecord: (key, value) => {
        table.delete(key); // keeps the map in the order of each key's newest record
        table.set(key, value);
      },
      onCrash: (error) => (crash = error),
    });
    await this.explained(`reading ${topic}`, () => reader.start());
    try {
      await Promise.race([reader.caughtUp, new Promise((_, reject) => setTimeout(() => reject(crash ?? new Error(`reading ${topic} took over 30 s`)), 30_000).unref())]);
    } finally {
      await reader.stop();
    }
    return table;
  }

  /** Follows a compacted topic from its beginning for as long as it runs (see CompactedTopicReader). */
  followTable(options: Omit<ConstructorParameters<typeof CompactedTopicReader>[0], 'kafka'>): CompactedTopicReader {
    return new CompactedTopicReader({ ...options, kafka: this.kafka });
  }

  /** Creates missing topics and grows short ones; safe from every replica at once (see `ensureTopics`). */
  ensureTopics(topics: readonly TopicSpec[]): Promise<void> {
    return this.explained(`ensuring topics ${topics.map((t) => t.topic).join(', ')}`, () => ensureTopics(this.kafka, topics));
  }

  /** Partition count of a topic, as the cluster reports it now. */
  partitionCount(topic: string): Promise<number> {
    return this.explained(`reading the partitions of ${topic}`, () => partitionCount(this.kafka, topic));
  }

  /** A consumer of `topic` in a group, handling each partition's records concurrently (see ParallelConsumer). */
  parallelConsumer(options: Omit<ParallelConsumerOptions, 'kafka'>): ParallelConsumer {
    return new ParallelConsumer({ ...options, kafka: this.kafka });
  }

  /** A reader of one partition from its end (see PartitionReader). */
  partitionReader(options: Omit<PartitionReaderOptions, 'kafka'>): PartitionReader {
    return new PartitionReader({ ...options, kafka: this.kafka });
  }

  /** Consumer groups' committed offsets against their topics' ends; close it when done. */
  consumerOffsets(): ConsumerOffsets {
    return new ConsumerOffsets(this.kafka);
  }

  /** A consumer, not yet connected, in the group of a keyed job of the stream runtime. */
  jobConsumer(groupId: string): Consumer {
    return this.kafka.consumer({
      groupId,
      sessionTimeout: 6_000,
      heartbeatInterval: 1_000,
      rebalanceTimeout: 30_000,
      // A keyed job never pauses its partitions (it works through each batch before the next fetch).
      maxWaitTimeInMs: NEVER_PAUSED_MAX_WAIT_MS,
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 200, maxRetryTime: 2_000 },
    });
  }

  /** A consumer, not yet connected, that reads one partition in a group of its own (a state restore). */
  restoreConsumer({ groupId, partition }: { groupId: string; partition: number }): Consumer {
    return this.kafka.consumer({
      groupId,
      partitionAssigners: [pinnedPartitionAssigner(partition)],
      sessionTimeout: 6_000,
      heartbeatInterval: 1_000,
      maxWaitTimeInMs: 50,
    });
  }

  /** An idempotent producer, not yet connected, whose transactions fence any older producer with `transactionalId`. */
  transactionalProducer(transactionalId: string): Producer {
    return this.kafka.producer({
      transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
      // An idempotent producer must not give up on a send it may have half-done.
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 100, maxRetryTime: 2_000 },
    });
  }

  /**
   * Writes the records through the shared producer now, bypassing the batching (the stream
   * runtime's batches are batches already), and resolves when every in-sync replica has them
   * (acks=-1). Unlike `send()` its outcome does not move the health breaker.
   */
  sendBatchDirect(topicMessages: TopicMessages[]): Promise<RecordMetadata[]> {
    return this.producer.sendBatch({ topicMessages, acks: -1 });
  }

  async close(): Promise<void> {
    await this.health.close();
    await this.producer.disconnect();
  }
}

const UNAVAILABLE = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSNumberOfRetriesExceeded',
  'KafkaJSBrokerNotFound',
  'KafkaJSLockTimeout',
]);

/**
 * Whether Kafka refused a record for its size (the broker's or topic's message.max.bytes): sending
 * it again cannot help, unlike most produce errors.
 */
export function isTooLarge(error: unknown): boolean {
  const type = (error as { type?: unknown } | null)?.type;
  return type === 'MESSAGE_TOO_LARGE' || type === 'RECORD_LIST_TOO_LARGE';
}

/** Whether a produce error means the cluster is out of reach (as opposed to a bad record). */
export function isUnavailable(error: Error): boolean {
  return UNAVAILABLE.has(error.name) || (error as { retriable?: boolean }).retriable === true;
}
