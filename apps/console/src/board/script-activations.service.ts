import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConsoleConfig } from '@flowgate/config';
import { parseScriptKey, ScriptActivationRecord, topicNames } from '@flowgate/contracts';
import { type CompactedTopicReader, KafkaConnection } from '@flowgate/kafka';
import { CONSOLE_CONFIG } from '../console.tokens';

/**
 * Which script versions are meant to serve, and the canary's share: the `active/<name>` records
 * of `<prefix>scripts`, followed like the status topic. Version records (the sources) are passed
 * over unread. What each processor actually serves comes with its status.
 */
@Injectable()
export class ScriptActivations {
  private readonly log = new Logger(ScriptActivations.name);
  private readonly active = new Map<string, ScriptActivationRecord>();
  private reader: CompactedTopicReader | undefined;

  constructor(
    @Inject(CONSOLE_CONFIG) private readonly config: ConsoleConfig,
    private readonly kafka: KafkaConnection,
  ) {}

  all(): ScriptActivationRecord[] {
    return [...this.active.values()];
  }

  async start(): Promise<void> {
    const prefix = this.config.FLOWGATE_TOPIC_PREFIX;
    this.reader = this.kafka.followTable({
      topic: topicNames(prefix).scripts,
      groupPrefix: `${prefix}console-scripts-${this.config.FLOWGATE_INSTANCE_ID}-`,
      onRecord: (key, value) => this.apply(key, value),
      onCrash: (error) => this.log.warn(`scripts reader crashed (started again): ${error.message}`),
    });
    await this.reader.start();
  }

  async stop(): Promise<void> {
    await this.reader?.stop();
  }

  private apply(key: string, value: Buffer | null): void {
    const parsed = parseScriptKey(key);
    if (parsed?.type !== 'active') return;
    if (value === null) {
      this.active.delete(parsed.name);
      return;
    }
    try {
      const record = JSON.parse(value.toString()) as ScriptActivationRecord;
      if (record.name === parsed.name && Number.isInteger(record.stable)) this.active.set(parsed.name, record);
    } catch (error) {
      this.log.warn(`scripts record ${key} skipped: ${(error as Error).message}`);
    }
  }
}
