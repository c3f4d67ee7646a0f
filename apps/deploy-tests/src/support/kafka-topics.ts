import { Admin, ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';

/**
 * What the shared Kafka holds, read with an admin client of its own: the specs check what a Job
 * or an app left there, not what it says it did.
 */
export class KafkaTopics {
  private readonly admin: Admin;
  private connected: Promise<void> | undefined;

  constructor(brokers: string) {
    this.admin = new Kafka({ clientId: 'deploy-tests', brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
  }

  /** Partition count of every topic whose name starts with `prefix`. */
  async partitions(prefix: string): Promise<Record<string, number>> {
    await this.connect();
    const names = (await this.admin.listTopics()).filter((t) => t.startsWith(prefix)).sort();
    if (names.length === 0) return {};
    const { topics } = await this.admin.fetchTopicMetadata({ topics: names });
    return Object.fromEntries(names.map((name) => [name, topics.find((t) => t.name === name)?.partitions.length ?? 0]));
  }

  /** One topic-level setting as the broker reports it (its own default when the topic sets none). */
  async setting(topic: string, name: string): Promise<string | undefined> {
    await this.connect();
    const { resources } = await this.admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: [name] }],
    });
    return resources[0]?.configEntries.find((e) => e.configName === name)?.configValue ?? undefined;
  }

  async close(): Promise<void> {
    if (this.connected) await this.admin.disconnect();
  }

  private connect(): Promise<void> {
    this.connected ??= this.admin.connect();
    return this.connected;
  }
}
