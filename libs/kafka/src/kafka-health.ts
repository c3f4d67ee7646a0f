import { Admin, Kafka } from 'kafkajs';

/**
 * Whether Kafka is reachable, as a circuit breaker. A failed produce opens it; while open,
 * callers fail fast and a background probe asks the cluster for metadata once a second; the
 * first answer closes it again.
 */
export class KafkaHealth {
  private up = true;
  private admin: Admin | undefined;
  private probe: NodeJS.Timeout | undefined;
  private readonly listeners: ((up: boolean) => void)[] = [];

  constructor(
    private readonly kafka: Kafka,
    private readonly probeTopic: string,
    private readonly probeIntervalMs = 1_000,
  ) {}

  get isUp(): boolean {
    return this.up;
  }

  onChange(listener: (up: boolean) => void): void {
    this.listeners.push(listener);
  }

  markFailure(): void {
    if (!this.up) return;
    this.set(false);
    this.probe = setInterval(() => void this.tryProbe(), this.probeIntervalMs);
  }

  markSuccess(): void {
    if (this.up) return;
    this.stopProbe();
    this.set(true);
  }

  async close(): Promise<void> {
    this.stopProbe();
    await this.admin?.disconnect();
  }

  private probing = false;
  /** Why the last probe failed, for logs. */
  lastError: string | undefined;

  private async tryProbe(): Promise<void> {
    if (this.probing) return;
    this.probing = true;
    try {
      this.admin ??= this.kafka.admin();
      await this.admin.connect();
      await this.admin.fetchTopicMetadata({ topics: [this.probeTopic] });
      this.markSuccess();
    } catch (error) {
      // Still down: the next tick tries again, with a fresh admin client.
      this.lastError = error instanceof Error ? error.message : String(error);
      const admin = this.admin;
      this.admin = undefined;
      await admin?.disconnect().catch(() => undefined); // it is broken already; nothing to save
    } finally {
      this.probing = false;
    }
  }

  private stopProbe(): void {
    if (this.probe) clearInterval(this.probe);
    this.probe = undefined;
  }

  private set(up: boolean): void {
    this.up = up;
    for (const listener of this.listeners) listener(up);
  }
}
