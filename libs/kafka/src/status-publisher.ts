import { encodeStatus, InstanceStatus, STATUS_INTERVAL_MS, StatusApp, statusKey, topicNames } from '@flowgate/contracts';
import type { KafkaConnection } from './kafka-connection';

export interface StatusPublisherOptions {
  readonly connection: KafkaConnection;
  readonly topicPrefix: string;
  readonly app: StatusApp;
  readonly instance: string;
  /** The instance's status now. */
  readonly build: () => Promise<InstanceStatus>;
  /** Said once per distinct failure (Kafka away, say), not every second; the next round is tried at its time. */
  readonly warn: (message: string) => void;
  readonly intervalMs?: number;
}

/**
 * Writes an instance's status record (libs/contracts `status.ts`) to `<prefix>status` every
 * STATUS_INTERVAL_MS, and a tombstone when it stops, so readers see a clean shutdown at once (a
 * crash shows as records that stop coming). Rounds wait for the producer to be connected, and a
 * round still sending when the next is due is not doubled: a slow Kafka gets fewer records, not
 * a queue of them.
 */
export class StatusPublisher {
  private readonly topic: string;
  private readonly key: string;
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;
  private lastFailure = '';

  constructor(private readonly options: StatusPublisherOptions) {
    this.topic = topicNames(options.topicPrefix).status;
    this.key = statusKey(options.app, options.instance);
  }

  /** Publishes now and then every interval. */
  start(): void {
    if (this.timer) return;
    this.publish();
    this.timer = setInterval(() => this.publish(), this.options.intervalMs ?? STATUS_INTERVAL_MS);
    this.timer.unref();
  }

  /** Stops publishing and writes the tombstone (call it before the app closes its Kafka connection). */
  async stop(): Promise<void> {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.round;
    await this.options.connection.send({ topic: this.topic, key: this.key, value: null }).catch((error: Error) => this.failed(error));
  }

  private publish(): void {
    const { connection, build } = this.options;
    if (this.round || !connection.isConnected) return;
    this.round = build()
      .then((status) => connection.send({ topic: this.topic, key: this.key, value: encodeStatus(status) }))
      .catch((error: Error) => this.failed(error))
      .finally(() => (this.round = undefined));
  }

  private failed(error: Error): void {
    if (error.message !== this.lastFailure) this.options.warn(`status not published: ${error.message}`);
    this.lastFailure = error.message;
  }
}
