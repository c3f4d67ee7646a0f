import type { KafkaConnection } from './kafka-connection';

export interface StatusPublisherOptions {
  readonly connection: KafkaConnection;
  /** A compacted topic (`<prefix>status`). */
  readonly topic: string;
  /** This instance's key in it. */
  readonly key: string;
  readonly intervalMs: number;
  /** Rounds are skipped while this is false (e.g. before the producer connected). */
  readonly ready?: () => boolean;
  /** The record's value now. */
  readonly build: () => Promise<Buffer>;
  /** A round failed (Kafka away, say); the next one is tried at its time. */
  readonly onError: (error: Error) => void;
}

/**
 * Writes an instance's status to a compacted topic every interval, and a tombstone when it stops,
 * so readers see a clean shutdown at once (a crash shows as records that stop coming). A round
 * still sending when the next is due is not doubled: a slow Kafka gets fewer records, not a queue.
 */
export class StatusPublisher {
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;

  constructor(private readonly options: StatusPublisherOptions) {}

  /** Publishes now and then every interval. */
  start(): void {
    if (this.timer) return;
    this.publish();
    this.timer = setInterval(() => this.publish(), this.options.intervalMs);
    this.timer.unref();
  }

  /** Stops publishing and writes the tombstone (before the app closes its Kafka connection). */
  async stop(): Promise<void> {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.round;
    const { connection, topic, key } = this.options;
    await connection.send({ topic, key, value: null }).catch((error: Error) => this.options.onError(error));
  }

  private publish(): void {
    if (this.round || this.options.ready?.() === false) return;
    const { connection, topic, key, build, onError } = this.options;
    this.round = build()
      .then((value) => connection.send({ topic, key, value }))
      .catch((error: Error) => onError(error))
      .finally(() => (this.round = undefined));
  }
}
