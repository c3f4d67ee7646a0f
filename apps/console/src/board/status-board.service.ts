import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConsoleConfig } from '@flowgate/config';
import { decodeStatus, InstanceStatus, STATUS_INTERVAL_MS, STATUS_MAX_AGE_MS, topicNames } from '@flowgate/contracts';
import { Readiness } from '@flowgate/http';
import { type CompactedTopicReader, KafkaConnection } from '@flowgate/kafka';
import { CONSOLE_CONFIG } from '../console.tokens';
import { buildConsoleView, ConsoleView, InstanceReadings } from './console-view';
import { NodeHistory } from './node-history';
import { ScriptActivations } from './script-activations.service';

type Listener = (view: ConsoleView) => void;

/**
 * Every live processor and gateway, from the status topic they write to: followed from its
 * beginning (compaction keeps it short), the newest two records of each instance kept, and once a
 * second a view of them all is computed and handed to the page streams. Instances whose record
 * is older than STATUS_MAX_AGE_MS crashed (a clean stop writes a tombstone): not shown.
 */
@Injectable()
export class StatusBoard {
  private readonly log = new Logger(StatusBoard.name);
  private readonly readings = new Map<string, InstanceReadings>();
  /**
   * When the console last heard from each instance, by its own clock, so an instance whose clock
   * is off is not taken for dead (or alive). Records replayed at start count from their own time.
   */
  private readonly heardAt = new Map<string, number>();
  private readonly listeners = new Set<Listener>();
  readonly history = new NodeHistory();
  private reader: CompactedTopicReader | undefined;
  private timer: NodeJS.Timeout | undefined;
  private caughtUp = false;
  private latest: ConsoleView = { at: 0, processors: [], gateways: [], jobs: [], scripts: [] };
  private refused = 0;

  constructor(
    @Inject(CONSOLE_CONFIG) private readonly config: ConsoleConfig,
    private readonly kafka: KafkaConnection,
    private readonly scripts: ScriptActivations,
    readiness: Readiness,
  ) {
    readiness.register('status', () => this.caughtUp);
  }

  get view(): ConsoleView {
    return this.latest;
  }

  async start(): Promise<void> {
    const prefix = this.config.FLOWGATE_TOPIC_PREFIX;
    this.reader = this.kafka.followTable({
      topic: topicNames(prefix).status,
      groupPrefix: `${prefix}console-status-${this.config.FLOWGATE_INSTANCE_ID}-`,
      onRecord: (key, value) => this.apply(key, value),
      onCrash: (error) => this.log.warn(`status reader crashed (started again): ${error.message}`),
    });
    await Promise.all([this.reader.start(), this.scripts.start()]);
    this.timer = setInterval(() => this.tick(), STATUS_INTERVAL_MS);
    this.timer.unref();
    await this.reader.caughtUp;
    this.caughtUp = true;
    this.tick();
    this.log.log(`status topic read: ${this.latest.processors.length} processors, ${this.latest.gateways.length} gateways`);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.listeners.clear();
    await Promise.all([this.reader?.stop(), this.scripts.stop()]);
  }

  /** Calls `listener` with every new view until the returned function is called. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private apply(key: string, value: Buffer | null): void {
    let status: InstanceStatus | null;
    try {
      status = decodeStatus(key, value);
    } catch (error) {
      // A newer app's record, or one written by hand: skipped, said once in a while.
      if (this.refused++ % 100 === 0) this.log.warn(`status record skipped: ${(error as Error).message}`);
      return;
    }
    if (status === null) {
      this.readings.delete(key);
      this.heardAt.delete(key);
      return;
    }
    const known = this.readings.get(key);
    if (known && status.updatedAt <= known.current.updatedAt) return;
    this.readings.set(key, { current: status, ...(known ? { previous: known.current } : {}) });
    this.heardAt.set(key, this.caughtUp ? Date.now() : status.updatedAt);
  }

  private tick(): void {
    if (!this.caughtUp) return;
    const now = Date.now();
    for (const key of this.readings.keys()) {
      if (now - (this.heardAt.get(key) ?? 0) > STATUS_MAX_AGE_MS) {
        this.readings.delete(key);
        this.heardAt.delete(key);
      }
    }
    this.latest = buildConsoleView(now, [...this.readings.values()], this.scripts.all());
    this.history.add(this.latest);
    for (const listener of this.listeners) listener(this.latest);
  }
}
