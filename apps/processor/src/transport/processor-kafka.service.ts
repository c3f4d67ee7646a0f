import { Inject, Injectable, Logger } from '@nestjs/common';
import { coreTopics, ProcessorConfig } from '@flowgate/config';
import { encodeReplyHeaders, encodeReplyTiming, HEADERS, problem, PROBLEM_CONTENT_TYPE, RequestMeta, topicNames } from '@flowgate/contracts';
import { ConsumedRecord, isTooLarge, KafkaConnection, OutgoingRecord, recordBytes, TopicSpec } from '@flowgate/kafka';
import type { ProcessorMetrics } from '@flowgate/metrics';
import { retry } from '@flowgate/retry';
import { RoutePublisher } from '../catalog/route-publisher';
import { PROCESSOR_CONFIG, PROCESSOR_METRICS } from '../processor.tokens';
import { writableHeaders } from './consumed-record';

const RETRY_MS = 200;
const DLQ_PATIENCE_MS = 30_000;

/**
 * The processor's writes to Kafka: replies to the gateway that waits, and dead letters. A reply
 * is retried until Kafka takes it or its deadline passes (after that nobody waits for it); a dead
 * letter is retried for half a minute. Only then is the input record counted as finished, so a
 * Kafka outage delays replies instead of losing them.
 */
@Injectable()
export class ProcessorKafka {
  private readonly logger = new Logger(ProcessorKafka.name);
  readonly topics;
  /** The processor's side of the route catalog. */
  readonly routes: RoutePublisher;
  private replyPartitions = 0;

  constructor(
    @Inject(PROCESSOR_CONFIG) private readonly config: ProcessorConfig,
    @Inject(PROCESSOR_METRICS) private readonly metrics: ProcessorMetrics,
    readonly connection: KafkaConnection,
  ) {
    this.topics = topicNames(config.FLOWGATE_TOPIC_PREFIX);
    this.routes = new RoutePublisher(this.connection, this.topics.routes, `${config.FLOWGATE_TOPIC_PREFIX}processor-catalog-`);
  }

  /** Creates the core topics and `jobTopics` where missing, then connects. */
  async start(jobTopics: readonly TopicSpec[]): Promise<void> {
    await this.ensureTopics(jobTopics);
    this.replyPartitions = await this.connection.partitionCount(this.topics.replies);
    await this.connection.connect();
  }

  /** Creates the core topics and `jobTopics` where missing (the `ensure-topics` command does only this). */
  ensureTopics(jobTopics: readonly TopicSpec[]): Promise<void> {
    return this.connection.ensureTopics([...coreTopics(this.config), ...jobTopics]);
  }

  /** Whether a reply to this partition can be written at all. */
  isReplyPartition(partition: number): boolean {
    return partition < this.replyPartitions;
  }

  /** The reply record for the gateway waiting on `meta` (a problem when status >= 400), with `extraHeaders` (e.g. the script version). */
  replyRecord(meta: RequestMeta, status: number, body: unknown, extraHeaders: Record<string, string> = {}): OutgoingRecord {
    const isProblem = status >= 400;
    const reply: OutgoingRecord = {
      topic: this.topics.replies,
      partition: meta.replyPartition,
      key: meta.requestId,
      value: body === undefined ? '' : JSON.stringify(body),
      headers: {
        ...encodeReplyHeaders({
          requestId: meta.requestId,
          status,
          outcome: isProblem ? 'error' : 'result',
          contentType: isProblem ? PROBLEM_CONTENT_TYPE : 'application/json',
          replyMode: meta.replyMode,
        }),
        ...extraHeaders,
      },
    };
    // Written, Kafka would refuse it (and a keyed job's batch holding it could never commit).
    return recordBytes(reply) > this.config.FLOWGATE_MAX_OUTPUT_BYTES ? this.tooLargeReply(reply, 'FLOWGATE_MAX_OUTPUT_BYTES') : reply;
  }

  /** `record` with the request's timing stamped on it when it is a reply (`fg-queue-ms`, `fg-handle-ms`); other records unchanged. */
  withTiming(record: OutgoingRecord, timing: { queueMs: number; handleMs: number }): OutgoingRecord {
    if (record.topic !== this.topics.replies) return record;
    return { ...record, headers: { ...record.headers, ...encodeReplyTiming(timing) } };
  }

  /** The DLQ record for a consumed record that could not be processed. */
  deadLetterRecord(record: ConsumedRecord, reason: string, kind: 'protocol' | 'handler', job?: string): OutgoingRecord {
    this.metrics.deadLetters.inc({ reason: kind });
    const letter = {
      topic: this.topics.dlq,
      key: record.key,
      value: record.value ?? Buffer.alloc(0),
      headers: {
        // As consumed: a repeated header or bytes that are not UTF-8 may be why the record is here.
        ...writableHeaders(record.headers),
        [HEADERS.dlqReason]: reason.slice(0, 1_000),
        [HEADERS.dlqSource]: `${record.topic}/${record.partition}/${record.offset}`,
        ...(job === undefined ? {} : { [HEADERS.dlqJob]: job }),
      },
    };
    // A record near Kafka's limit is over it with these headers: the letter keeps what fits of its value.
    const over = recordBytes(letter) - this.config.FLOWGATE_MAX_OUTPUT_BYTES;
    if (over <= 0) return letter;
    const truncated = { [HEADERS.dlqTruncated]: String(letter.value.length) };
    return { ...letter, value: letter.value.subarray(0, Math.max(0, letter.value.length - over - 64)), headers: { ...letter.headers, ...truncated } };
  }

  /**
   * Writes records outside a transaction. A reply is retried until its deadline (after that
   * nobody waits for it), a dead letter for half a minute.
   */
  async send(records: OutgoingRecord[], deadline: number): Promise<void> {
    await Promise.all(
      records.map((record) => this.sendUntil(record.topic === this.topics.dlq ? Date.now() + DLQ_PATIENCE_MS : deadline, record)),
    );
  }

  private async sendUntil(giveUpAt: number, record: OutgoingRecord): Promise<void> {
    try {
      await retry(() => this.connection.send(record), { giveUpAt, delayMs: RETRY_MS, retriable: (error) => !isTooLarge(error) });
    } catch (error) {
      this.logger.error(`giving up writing to ${record.topic}: ${(error as Error).message}`);
      // A reply Kafka will never take: the caller learns it now, not at its deadline.
      // (FLOWGATE_MAX_OUTPUT_BYTES above a topic's max.message.bytes lets such a reply through to here.)
      if (isTooLarge(error) && record.topic === this.topics.replies) await this.sendUntil(giveUpAt, this.tooLargeReply(record, 'message.max.bytes'));
    }
  }

  /** A 500 problem in place of a reply too large for Kafka (`limit` names the limit), to the same caller and partition. */
  private tooLargeReply(reply: OutgoingRecord, limit: string): OutgoingRecord {
    const requestId = String(reply.key);
    const body = problem('handlerFailed', `the answer (${recordBytes(reply)} bytes) is larger than Kafka takes in one record (${limit})`, requestId);
    const headers = encodeReplyHeaders({
      requestId, status: body.status, outcome: 'error', contentType: PROBLEM_CONTENT_TYPE,
      replyMode: String(reply.headers?.[HEADERS.replyMode]) === 'async' ? 'async' : 'sync',
    });
    return { ...reply, value: JSON.stringify(body), headers: { ...reply.headers, ...headers } };
  }
}
