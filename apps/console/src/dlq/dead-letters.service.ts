import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConsoleConfig } from '@flowgate/config';
import { HEADERS, headerString, topicNames } from '@flowgate/contracts';
import { KafkaConnection, type PartitionReader, type ReadRecord } from '@flowgate/kafka';
import { CONSOLE_CONFIG } from '../console.tokens';

/** A dead letter as the console shows it. */
export interface DeadLetter {
  readonly at: number;
  readonly reason: string;
  readonly route?: string;
  /** `<topic>/<partition>/<offset>` of the record that failed. */
  readonly source?: string;
}

/** Dead letters kept in memory, over all jobs: the page shows each job's newest few. */
const KEPT = 500;

/**
 * The newest dead letters, read from the end of `<prefix>dlq` (one partition) while the console
 * runs: a bounded window of reasons (the DLQ itself may hold millions), never its bodies.
 */
@Injectable()
export class DeadLetters {
  private readonly log = new Logger(DeadLetters.name);
  private readonly letters: DeadLetter[] = [];
  private reader: PartitionReader | undefined;

  constructor(
    @Inject(CONSOLE_CONFIG) private readonly config: ConsoleConfig,
    private readonly kafka: KafkaConnection,
  ) {}

  async start(): Promise<void> {
    const prefix = this.config.FLOWGATE_TOPIC_PREFIX;
    this.reader = this.kafka.partitionReader({
      topic: topicNames(prefix).dlq,
      partition: 0,
      groupId: `${prefix}console-dlq-${this.config.FLOWGATE_INSTANCE_ID}`,
      sessionTimeoutMs: 10_000,
      onRecord: (record) => this.add(record),
      onReady: () => undefined,
      onCrash: (error) => this.log.warn(`DLQ reader crashed (started again): ${error.message}`),
      onError: (error) => this.log.warn(`DLQ reader could not position itself: ${String(error)}`),
    });
    await this.reader.start();
  }

  async stop(): Promise<void> {
    await this.reader?.stop();
  }

  /** The newest `limit` dead letters of the routes or source topics given, newest first. */
  recent(match: { routes: readonly string[]; topic?: string }, limit = 20): DeadLetter[] {
    const found: DeadLetter[] = [];
    for (let i = this.letters.length - 1; i >= 0 && found.length < limit; i--) {
      const letter = this.letters[i];
      const routed = letter.route !== undefined && match.routes.includes(letter.route);
      const fromTopic = letter.route === undefined && match.topic !== undefined && letter.source?.startsWith(`${match.topic}/`);
      if (routed || fromTopic) found.push(letter);
    }
    return found;
  }

  private add(record: ReadRecord): void {
    const route = headerString(record.headers, HEADERS.route);
    const source = headerString(record.headers, HEADERS.dlqSource);
    this.letters.push({
      at: Date.now(),
      reason: (headerString(record.headers, HEADERS.dlqReason) ?? 'no reason given').slice(0, 300),
      ...(route ? { route } : {}),
      ...(source ? { source } : {}),
    });
    if (this.letters.length > KEPT) this.letters.splice(0, this.letters.length - KEPT);
  }
}
