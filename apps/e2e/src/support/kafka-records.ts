import { randomBytes } from 'node:crypto';
import { Admin, Consumer, IHeaders, Kafka, logLevel, Producer } from 'kafkajs';
import { headerStrings, WireHeaders } from '@flowgate/contracts';
import { fixRequestQueueTimer } from '@flowgate/kafkajs-fixes';
import { stackEnv } from './stack';

/** A record as read back from a topic, headers decoded to strings. */
export interface RawRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly value: string | null;
  readonly headers: Record<string, string>;
  /** The value and headers as read, bytes and repeated headers included. */
  readonly raw: { readonly value: Buffer | null; readonly headers: WireHeaders };
}

/** A record to write as is, bypassing the gateway. */
export interface RecordToWrite {
  readonly key?: string | null;
  readonly value: string | Buffer | null;
  /** Strings as a rule; bytes, a header given twice (an array) or a null value for hostile records. */
  readonly headers?: WireHeaders;
  readonly partition?: number;
}

/**
 * Direct access to the shared Kafka for tests: raw writes, high watermarks, and tails that collect
 * what lands on a topic. One instance per spec file; `close()` it in afterAll.
 */
export class KafkaRecords {
  private readonly kafka: Kafka;
  private admin: Admin | undefined;
  private producer: Producer | undefined;
  private readonly tails: TopicTail[] = [];

  constructor(clientName: string) {
    fixRequestQueueTimer(); // as the apps have it: otherwise each connection wakes the test worker 1000 times a second
    this.kafka = new Kafka({
      brokers: stackEnv().KAFKA_BROKERS.split(','),
      clientId: `e2e-${clientName}`,
      logLevel: logLevel.NOTHING,
      retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1_000 },
    });
  }

  /** Sum over partitions of the topic's high watermark: how many records were ever written to it. */
  async highWatermarkSum(topic: string): Promise<number> {
    this.admin ??= await this.connectedAdmin();
    const offsets = await this.admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, o) => sum + Number(o.high), 0);
  }

  /** Writes records exactly as given (acks from all replicas). */
  async write(topic: string, records: RecordToWrite[]): Promise<void> {
    const producer = await this.connectedProducer();
    await producer.send({
      topic,
      acks: -1,
      messages: records.map((r) => ({
        key: r.key ?? null,
        value: r.value,
        ...(r.headers ? { headers: r.headers as IHeaders } : {}),
        ...(r.partition === undefined ? {} : { partition: r.partition }),
      })),
    });
  }

  /** How many partitions `topic` has. */
  async partitionCount(topic: string): Promise<number> {
    this.admin ??= await this.connectedAdmin();
    return (await this.admin.fetchTopicOffsets(topic)).length;
  }

  /**
   * Writes records to the partitions they name, in the order given (one produce request), and
   * resolves with each record's offset. A header value may be null: Java clients write one, but
   * kafkajs sizes a header with Buffer.byteLength(value) before its encoder writes a null as
   * such, and byteLength throws on null, so null is sized 0 while this request is built.
   */
  async writeAt(topic: string, records: (RecordToWrite & { partition: number })[]): Promise<string[]> {
    const producer = await this.connectedProducer();
    const send = () =>
      producer.send({
        topic,
        acks: -1,
        messages: records.map((r) => ({ key: r.key ?? null, value: r.value, partition: r.partition, ...(r.headers ? { headers: r.headers as IHeaders } : {}) })),
      });
    const hasNull = records.some((r) => Object.values(r.headers ?? {}).some((v) => v === null || (Array.isArray(v) && v.includes(null))));
    const byteLength = Buffer.byteLength;
    if (hasNull) Buffer.byteLength = ((value, encoding) => (value === null ? 0 : byteLength(value, encoding))) as typeof Buffer.byteLength;
    let written;
    try {
      written = await send();
    } finally {
      Buffer.byteLength = byteLength;
    }
    const next = new Map(written.map((m) => [m.partition, BigInt(m.baseOffset ?? '-1')]));
    return records.map((r) => {
      const offset = next.get(r.partition);
      if (offset === undefined || offset < 0n) throw new Error(`no offset for ${topic}/${r.partition} in the produce response`);
      next.set(r.partition, offset + 1n);
      return offset.toString();
    });
  }

  /**
   * Commits the current end of every partition of `topic` for a consumer group with no running
   * member: its next consumer starts after every record written so far. Resolves once Kafka
   * reports exactly those offsets committed.
   */
  async moveGroupToEnd(groupId: string, topic: string): Promise<void> {
    this.admin ??= await this.connectedAdmin();
    const ends = (await this.admin.fetchTopicOffsets(topic)).map(({ partition, high }) => ({ partition, offset: high }));
    await this.admin.setOffsets({ groupId, topic, partitions: ends });
    const [committed] = await this.admin.fetchOffsets({ groupId, topics: [topic] });
    const text = (list: { partition: number; offset: string }[]) =>
      JSON.stringify([...list].sort((a, b) => a.partition - b.partition).map(({ partition, offset }) => ({ partition, offset })));
    if (text(committed?.partitions ?? []) !== text(ends)) {
      throw new Error(`group ${groupId} on ${topic}: committed ${text(committed?.partitions ?? [])}, wanted ${text(ends)}`);
    }
  }

  /** Starts collecting every record of `topic` from its beginning; resolves once the tail is reading. */
  async tail(topic: string): Promise<TopicTail> {
    const consumer = this.kafka.consumer({
      groupId: `e2e-tail-${randomBytes(4).toString('hex')}`,
      maxWaitTimeInMs: 100,
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
    });
    const tail = new TopicTail(consumer);
    this.tails.push(tail);
    await tail.start(topic);
    return tail;
  }

  async close(): Promise<void> {
    await Promise.allSettled([
      ...this.tails.map((t) => t.stop()),
      this.admin?.disconnect(),
      this.producer?.disconnect(),
    ]);
  }

  private async connectedProducer(): Promise<Producer> {
    if (!this.producer) {
      const producer = this.kafka.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      this.producer = producer;
    }
    return this.producer;
  }

  private async connectedAdmin(): Promise<Admin> {
    const admin = this.kafka.admin();
    await admin.connect();
    return admin;
  }
}

/** Every record read from one topic since the tail started (from the topic's beginning). */
export class TopicTail {
  readonly records: RawRecord[] = [];

  constructor(private readonly consumer: Consumer) {}

  async start(topic: string): Promise<void> {
    const joined = new Promise<void>((resolve) => this.consumer.on(this.consumer.events.GROUP_JOIN, () => resolve()));
    await this.consumer.connect();
    await this.consumer.subscribe({ topic, fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ topic: t, partition, message }) => {
        this.records.push({
          topic: t,
          partition,
          offset: message.offset,
          key: message.key?.toString('utf8') ?? null,
          value: message.value?.toString('utf8') ?? null,
          headers: headerStrings(message.headers),
          raw: { value: message.value, headers: message.headers ?? {} },
        });
      },
    });
    await withTimeout(joined, 30_000, `tail of ${topic} joining its group`);
  }

  /** Resolves with the first record matching `predicate`, waiting for it up to `timeoutMs`. */
  async waitFor(predicate: (record: RawRecord) => boolean, timeoutMs = 15_000, what = 'record'): Promise<RawRecord> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.records.find(predicate);
      if (found) return found;
      if (Date.now() >= deadline) throw new Error(`${what} not seen within ${timeoutMs} ms (${this.records.length} records read)`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took more than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
