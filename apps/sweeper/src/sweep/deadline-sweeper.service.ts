import { Inject, Injectable, Logger } from '@nestjs/common';
import type { SweeperConfig } from '@flowgate/config';
import { HEADERS } from '@flowgate/contracts';
import type { SweeperMetrics } from '@flowgate/metrics';
import type { TimeoutRecord } from '@flowgate/redis';
import { SWEEPER_CONFIG, SWEEPER_METRICS } from '../sweeper.tokens';
import { SweeperKafka } from './sweeper-kafka.service';
import { SweeperStore } from './sweeper-store.service';

const GAUGE_INTERVAL_MS = 1_000;

/**
 * Owns deadlines that outlive a connection. Every sweep, one Lua script times out the pending
 * requests past their deadline and claims the timeout records due for publishing; the records go
 * to `<prefix>timeouts`, then leave the outbox. Any number of sweepers run side by side: a request
 * is timed out by exactly one of them (or by its gateway), each record is claimed by one at a
 * time, and a sweeper that dies holding claims only delays them by FLOWGATE_SWEEP_CLAIM_MS.
 */
@Injectable()
export class DeadlineSweeper {
  private readonly logger = new Logger(DeadlineSweeper.name);
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private lastGauges = 0;
  private lastError = '';

  constructor(
    @Inject(SWEEPER_CONFIG) private readonly config: SweeperConfig,
    @Inject(SWEEPER_METRICS) private readonly metrics: SweeperMetrics,
    private readonly store: SweeperStore,
    private readonly kafka: SweeperKafka,
  ) {}

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      const more = await this.sweepOnce();
      await this.updateGauges();
      if (!more) await this.pause(this.config.FLOWGATE_SWEEP_INTERVAL_MS);
    }
  }

  /** One sweep; true when it hit the batch limit (sweep again at once). */
  private async sweepOnce(): Promise<boolean> {
    const { FLOWGATE_SWEEP_BATCH: batch, FLOWGATE_SWEEP_CLAIM_MS: claimMs } = this.config;
    const end = this.metrics.sweepDuration.startTimer();
    try {
      const { expired, due } = await this.store.registry.sweep(Date.now(), batch, claimMs);
      if (due.length > 0) await this.publish(due);
      this.metrics.sweeps.inc({ result: 'ok' });
      this.lastError = '';
      return expired === batch || due.length === batch;
    } catch (error) {
      this.metrics.sweeps.inc({ result: 'error' });
      const message = (error as Error).message;
      if (message !== this.lastError) this.logger.warn(`sweep failed (retrying every sweep): ${message}`);
      this.lastError = message;
      return false;
    } finally {
      end();
    }
  }

  private async publish(due: TimeoutRecord[]): Promise<void> {
    await Promise.all(due.map((record) => this.kafka.connection.send({
      topic: this.kafka.topics.timeouts,
      key: record.id,
      value: JSON.stringify(record),
      headers: { [HEADERS.requestId]: record.id, [HEADERS.route]: record.route },
    })));
    await this.store.registry.published(due.map((record) => record.id));
    for (const record of due) this.metrics.timeouts.inc({ reason: record.reason });
  }

  private async updateGauges(): Promise<void> {
    if (Date.now() - this.lastGauges < GAUGE_INTERVAL_MS) return;
    this.lastGauges = Date.now();
    try {
      const [{ pending, outbox }, owned] = await Promise.all([this.store.registry.sizes(), this.store.ownedReplySlots()]);
      this.metrics.registryPending.set(pending);
      this.metrics.timeoutOutbox.set(outbox);
      this.metrics.replySlots.set({ state: 'owned' }, owned);
      this.metrics.replySlots.set({ state: 'free' }, this.config.FLOWGATE_REPLY_PARTITIONS - owned);
    } catch {
      // Redis is out of reach: the sweep already logged it.
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
