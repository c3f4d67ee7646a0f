import { IHeaders, Message, Producer, TopicMessages } from 'kafkajs';

export interface OutgoingRecord {
  readonly topic: string;
  readonly partition?: number;
  readonly key?: string | Buffer | null;
  /** null: a tombstone (a compacted topic forgets the key). */
  readonly value: string | Buffer | null;
  /** Strings as a rule; a dead letter keeps the consumed record's headers as they were (bytes, repeats). */
  readonly headers?: IHeaders;
  readonly timestamp?: string;
}

export interface ProduceObserver {
  onBatch(size: number, seconds: number): void;
  onError(error: Error): void;
}

interface Waiting {
  readonly record: OutgoingRecord;
  /** When it was sent (Date.now()): the linger counts from the oldest record waiting. */
  readonly at: number;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/**
 * Turns many `send()` calls into few produce requests. Records that arrive while a request is in
 * flight wait and go together in the next one (group commit): batches grow exactly as fast as
 * load does, and an idle producer adds no delay beyond one event-loop turn — or `lingerMs`, which
 * holds a request back that long so that more records join it (Kafka's linger.ms).
 *
 * @example
 * const batching = new BatchingProducer(producer, { maxBatch: 500, maxInFlight: 2 });
 * await batching.send({ topic: 'flowgate.requests', key: 'id-1', value: '{}' });
 */
export class BatchingProducer {
  private queue: Waiting[] = [];
  private inFlight = 0;
  private scheduled = false;
  private lingering?: NodeJS.Timeout;

  constructor(
    private readonly producer: Producer,
    private readonly options: {
      maxBatch: number;
      /**
       * Bytes of keys, values and headers in one request; a record larger than this goes alone.
       * Kafka refuses a partition's batch over its message.max.bytes, and the records of a refused
       * request fail together and come back together: two large replies sent at once would be
       * refused until their deadline, and every small record sharing their requests with them.
       */
      maxBatchBytes?: number;
      maxInFlight: number;
      /** How long a record waits for more to join its request, from when it was sent (0: one event-loop turn). */
      lingerMs?: number;
      /** A batch not acknowledged by then fails with ProduceTimeoutError (one timer per batch). */
      ackTimeoutMs?: number;
      observer?: ProduceObserver;
    },
  ) {}

  /** Resolves when Kafka has acknowledged the record (acks=all). */
  send(record: OutgoingRecord): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ record, at: this.options.lingerMs ? Date.now() : 0, resolve, reject });
      this.schedule();
    });
  }

  /** Records accepted but not yet acknowledged. */
  get pending(): number {
    return this.queue.length;
  }

  private schedule(): void {
    if (this.inFlight >= this.options.maxInFlight) return;
    const { lingerMs = 0, maxBatch } = this.options;
    if (this.lingering && this.queue.length >= maxBatch) {
      // A full batch does not wait out the linger.
      clearTimeout(this.lingering);
      this.lingering = undefined;
      this.scheduled = false;
    }
    if (this.scheduled) return;
    this.scheduled = true;
    const wait = lingerMs > 0 && this.queue.length < maxBatch ? this.queue[0].at + lingerMs - Date.now() : 0;
    if (wait > 0) this.lingering = setTimeout(() => this.flush(), wait);
    // setImmediate, not a timer: everything that arrived in this turn of the loop joins the batch.
    else setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    this.lingering = undefined;
    while (this.queue.length > 0 && this.inFlight < this.options.maxInFlight) {
      const batch = this.queue.splice(0, this.batchLength());
      this.inFlight++;
      void this.sendBatch(batch).finally(() => {
        this.inFlight--;
        if (this.queue.length > 0) this.schedule();
      });
    }
  }

  /** How many queued records the next request takes: up to maxBatch, and maxBatchBytes unless the first is larger alone. */
  private batchLength(): number {
    const { maxBatch, maxBatchBytes = Infinity } = this.options;
    return requestLength(Math.min(maxBatch, this.queue.length), (i) => recordBytes(this.queue[i].record), maxBatchBytes);
  }

  private async sendBatch(batch: Waiting[]): Promise<void> {
    const started = process.hrtime.bigint();
    let timer: NodeJS.Timeout | undefined;
    try {
      const sent = this.producer.sendBatch({ topicMessages: groupWaiting(batch), acks: -1 });
      const { ackTimeoutMs } = this.options;
      if (ackTimeoutMs === undefined) await sent;
      else {
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new ProduceTimeoutError(`not acknowledged within ${ackTimeoutMs} ms`)), ackTimeoutMs);
        });
        // A late acknowledgement or failure of the abandoned send has nobody left to tell.
        sent.catch(() => undefined);
        await Promise.race([sent, timeout]);
      }
      this.options.observer?.onBatch(batch.length, Number(process.hrtime.bigint() - started) / 1e9);
      for (const waiting of batch) waiting.resolve();
    } catch (cause) {
      const error = cause instanceof Error ? cause : new Error(String(cause));
      this.options.observer?.onError(error);
      for (const waiting of batch) waiting.reject(error);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Kafka did not acknowledge a produce request in time: usually the cluster is out of reach. */
export class ProduceTimeoutError extends Error {
  override readonly name = 'ProduceTimeoutError';
  readonly retriable = true;
}

/**
 * Bytes of records one produce request carries at most (unless a single record is larger alone):
 * half of Kafka's default message.max.bytes (1 MiB), so a request never holds two records near it.
 */
export const MAX_REQUEST_BYTES = 512 * 1024;

/**
 * `records` in order, cut into produce requests of at most `maxBytes` each; a record larger than
 * that goes alone. A transaction may send any number of them.
 */
export function inRequests(records: readonly OutgoingRecord[], maxBytes = MAX_REQUEST_BYTES): OutgoingRecord[][] {
  const requests: OutgoingRecord[][] = [];
  for (let start = 0; start < records.length;) {
    const length = requestLength(records.length - start, (i) => recordBytes(records[start + i]), maxBytes);
    requests.push(records.slice(start, start + length));
    start += length;
  }
  return requests;
}

/** How many of `count` records (sized by `bytesOf`) the next request takes: at most `maxBytes`, at least one. */
function requestLength(count: number, bytesOf: (index: number) => number, maxBytes: number): number {
  let bytes = 0;
  let length = 0;
  while (length < count) {
    bytes += bytesOf(length);
    if (length > 0 && bytes > maxBytes) break;
    length++;
  }
  return length;
}

/** Bytes of a record's key, value and headers: what counts against Kafka's size limits (framing aside). */
export function recordBytes({ key, value, headers }: OutgoingRecord): number {
  let bytes = byteLength(key) + byteLength(value);
  for (const [name, header] of Object.entries(headers ?? {})) {
    for (const one of Array.isArray(header) ? header : [header]) bytes += name.length + byteLength(one);
  }
  return bytes;
}

function byteLength(data: string | Buffer | null | undefined): number {
  if (data === null || data === undefined) return 0;
  return typeof data === 'string' ? Buffer.byteLength(data) : data.length;
}

function groupWaiting(batch: Waiting[]): TopicMessages[] {
  return groupByTopic(batch.map((waiting) => waiting.record));
}

/** Records as kafkajs's sendBatch takes them: one entry per topic, in arrival order. */
export function groupByTopic(records: OutgoingRecord[]): TopicMessages[] {
  const byTopic = new Map<string, Message[]>();
  for (const record of records) {
    let messages = byTopic.get(record.topic);
    if (!messages) byTopic.set(record.topic, (messages = []));
    messages.push({
      key: record.key ?? null,
      value: record.value,
      ...(record.partition === undefined ? {} : { partition: record.partition }),
      ...(record.headers ? { headers: record.headers } : {}),
      ...(record.timestamp ? { timestamp: record.timestamp } : {}),
    });
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}
