import { Consumer } from 'kafkajs';

/** Who starts a crashed consumer again: kafkajs itself (retriable errors) or the supervisor. */
export type RestartedBy = 'kafkajs' | 'supervisor';

export interface ConsumerSupervisorOptions {
  /** A new kafkajs consumer, not yet connected. */
  readonly create: () => Consumer;
  /** Registers listeners, connects, subscribes and runs `consumer`. */
  readonly run: (consumer: Consumer) => Promise<void>;
  /** A crash, or a replacement that could not start yet (tried again after `backoffMs`). */
  readonly onCrash: (error: Error, restartedBy: RestartedBy) => void;
  readonly backoffMs?: number;
}

/**
 * Keeps a kafkajs consumer running for as long as its owner wants it. kafkajs restarts a consumer
 * that crashed on a retriable error, but leaves one that crashed on any other error stopped for
 * good: in a long-running worker that is a silent outage (e.g. after a broker restart). The
 * supervisor replaces such a consumer with a new one, with the same group and subscriptions.
 *
 * @example
 * const supervisor = new ConsumerSupervisor({ create: () => kafka.consumer({ groupId }), run, onCrash });
 * await supervisor.start();
 * supervisor.consumer.pause([{ topic }]);   // always the live consumer
 */
export class ConsumerSupervisor {
  private current: Consumer | undefined;
  private stopped = false;
  private restartTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ConsumerSupervisorOptions) {}

  /** The consumer running now (a replacement after a crash kafkajs gave up on). */
  get consumer(): Consumer {
    if (!this.current) throw new Error('consumer not started');
    return this.current;
  }

  /** Starts the first consumer; its errors are the caller's (e.g. Kafka unreachable at boot). */
  async start(): Promise<void> {
    await this.launch();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    await this.current?.disconnect();
  }

  private async launch(): Promise<void> {
    const consumer = this.options.create();
    this.current = consumer;
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.options.onCrash(payload.error, payload.restart ? 'kafkajs' : 'supervisor');
      if (!payload.restart) this.scheduleReplacement(consumer);
    });
    await this.options.run(consumer);
  }

  private scheduleReplacement(crashed: Consumer): void {
    if (this.stopped || crashed !== this.current) return;
    this.restartTimer = setTimeout(() => void this.replace(crashed), this.options.backoffMs ?? 1_000);
  }

  private async replace(crashed: Consumer): Promise<void> {
    if (this.stopped || crashed !== this.current) return;
    await crashed.disconnect().catch(() => undefined); // kafkajs has stopped it already
    try {
      await this.launch();
      if (this.stopped) await this.current?.disconnect();
    } catch (error) {
      this.options.onCrash(error instanceof Error ? error : new Error(String(error)), 'supervisor');
      this.scheduleReplacement(this.current!);
    }
  }
}
