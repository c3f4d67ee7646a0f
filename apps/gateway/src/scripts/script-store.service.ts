import { Inject, Injectable, Logger } from '@nestjs/common';
import type { GatewayConfig } from '@flowgate/config';
import { AuditRecord, CatalogEntry, encodeCatalogEntry, scriptActivationKey, ScriptActivationRecord, scriptVersionKey, ScriptVersionRecord } from '@flowgate/contracts';
import type { CompactedTopicReader } from '@flowgate/kafka';
import { RedisConnection } from '@flowgate/redis';
import { GatewayKafka } from '../dispatch/gateway-kafka.service';
import { GATEWAY_CONFIG } from '../gateway.tokens';
import { ScriptTable } from './script-table';

/** Another upload wrote the same version number of the script first (two gateways racing). */
export class VersionTakenError extends Error {
  readonly retriable = true;
  constructor(readonly script: string, readonly version: number) {
    super(`version ${version} of ${script} was taken by another upload at the same moment; upload again for the next number`);
    this.name = 'VersionTakenError';
  }
}

/**
 * How long a version number stays claimed in Redis: far longer than an upload takes from its
 * claim to its record being on the topic, after which every reader of the topic has the version.
 */
const VERSION_CLAIM_MS = 60_000;

/** How long an upload waits for the follower to read the scripts topic to its end (Kafka slow or away: the upload fails). */
const READ_TO_END_MS = 10_000;

/** How many audit records the gateway keeps in memory for GET /admin/v1/audit. */
const RECENT_AUDIT = 1_000;
/** How long a write waits to come back through the gateway's own follower (so the next GET sees it) before answering anyway. */
const SEE_OWN_WRITE_MS = 10_000;

/**
 * The admin API's side of Kafka: `<prefix>scripts` followed into a ScriptTable (like the route
 * catalog), `<prefix>audit` followed for its newest records, and the writes of versions,
 * activations, catalog entries and audit records (the app's producer, acks from all in-sync
 * replicas). A write returns once the follower has read it back, so a GET right after a change
 * sees the change on this gateway.
 */
@Injectable()
export class ScriptStore {
  private readonly logger = new Logger(ScriptStore.name);
  readonly table = new ScriptTable();
  private readonly recentAudit: AuditRecord[] = [];
  private readers: CompactedTopicReader[] = [];
  private scriptsReader: CompactedTopicReader | undefined;
  /** Both topics read to where they ended at start: until then the table may lack versions, and answers from it would be wrong. */
  loaded = false;
  private readonly waiters = new Set<{ key: string; value: string | null; resolve: () => void }>();

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly kafka: GatewayKafka,
    private readonly redis: RedisConnection,
  ) {}

  /** Reads both topics to where they end now, then keeps following them. */
  async start(): Promise<void> {
    const { scripts, audit } = this.kafka.topics;
    const groupPrefix = (what: string) => `${this.config.FLOWGATE_TOPIC_PREFIX}gateway-${what}-${this.config.FLOWGATE_INSTANCE_ID}-`;
    this.scriptsReader = this.kafka.connection.followTable({
      topic: scripts,
      groupPrefix: groupPrefix('scripts'),
      onRecord: (key, value) => this.applyScript(key, value),
      onCrash: (error) => this.logger.warn(`scripts reader crashed (started again): ${error.message}`),
    });
    const auditReader = this.kafka.connection.followTable({
      topic: audit,
      groupPrefix: groupPrefix('audit'),
      onRecord: (key, value) => this.applyAudit(key, value),
      onCrash: (error) => this.logger.warn(`audit reader crashed (started again): ${error.message}`),
    });
    this.readers = [this.scriptsReader, auditReader];
    await Promise.all(this.readers.map((reader) => reader.start()));
    await Promise.all(this.readers.map((reader) => reader.caughtUp));
    this.loaded = true;
    this.logger.log(`scripts read: ${this.table.list().length} scripts`);
  }

  async stop(): Promise<void> {
    await Promise.all(this.readers.map((reader) => reader.stop()));
  }

  /** The newest audit records (of one script), newest first. */
  audit(options: { script?: string; limit: number }): AuditRecord[] {
    const matching = this.recentAudit.filter((record) => options.script === undefined || record.script === options.script);
    return matching.slice(-options.limit).reverse();
  }

  /**
   * The table with everything `<prefix>scripts` holds now: what an upload numbers its version
   * from, since the follower may not yet have read another gateway's upload of a moment ago.
   */
  async currentTable(): Promise<ScriptTable> {
    await this.readScriptsToEnd();
    return this.table;
  }

  /**
   * Stores a version whose number no other upload may take meanwhile: the number is claimed in
   * Redis first (`SET NX PX`, shared by every gateway of the deployment), then the record is
   * written, then the topic is read to its end again and the record must be the newest of its key.
   * @throws VersionTakenError when another upload claimed or wrote that number.
   */
  async writeVersion(record: ScriptVersionRecord): Promise<void> {
    const key = scriptVersionKey(record.name, record.version);
    const claim = this.claimKey(record.name, record.version);
    await this.redis.connect();
    if ((await this.redis.client.set(claim, record.sha256, 'PX', VERSION_CLAIM_MS, 'NX')) !== 'OK') throw new VersionTakenError(record.name, record.version);
    const value = JSON.stringify(record);
    try {
      await this.write(this.kafka.topics.scripts, key, value);
    } catch (error) {
      // Nothing was stored under the number: give it back at once rather than after the claim's time.
      await this.redis.client.del(claim).catch((cause: Error) => this.logger.warn(`claim ${claim} not given back (it expires in ${VERSION_CLAIM_MS} ms): ${cause.message}`));
      throw error;
    }
    await this.readScriptsToEnd();
    if (JSON.stringify(this.table.version(record.name, record.version)) !== value) throw new VersionTakenError(record.name, record.version);
  }

  writeActivation(record: ScriptActivationRecord): Promise<void> {
    return this.write(this.kafka.topics.scripts, scriptActivationKey(record.name), JSON.stringify(record));
  }

  /** Tombstones for the activation and every stored version of `name`; their numbers are free again. */
  async deleteScript(name: string, versions: readonly number[]): Promise<void> {
    await this.write(this.kafka.topics.scripts, scriptActivationKey(name), null);
    await Promise.all(versions.map((version) => this.write(this.kafka.topics.scripts, scriptVersionKey(name, version), null)));
    if (versions.length > 0) await this.redis.client.del(...versions.map((version) => this.claimKey(name, version)));
  }

  /** A route script's catalog entry (gateways serve and document the route from it). */
  async publishRoute(entry: CatalogEntry): Promise<void> {
    await this.kafka.connection.send({ topic: this.kafka.topics.routes, key: entry.route.name, value: encodeCatalogEntry(entry) });
  }

  async retireRoute(name: string): Promise<void> {
    await this.kafka.connection.send({ topic: this.kafka.topics.routes, key: name, value: null });
  }

  async writeAudit(record: AuditRecord): Promise<void> {
    await this.kafka.connection.send({ topic: this.kafka.topics.audit, key: record.script, value: JSON.stringify(record) });
  }

  private async readScriptsToEnd(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${this.kafka.topics.scripts} not read to its end within ${READ_TO_END_MS} ms`)), READ_TO_END_MS);
    });
    try {
      await Promise.race([this.scriptsReader!.readToEnd(), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  private claimKey(name: string, version: number): string {
    return `${this.config.FLOWGATE_TOPIC_PREFIX}script-version:${name}:${version}`;
  }

  /** Writes a record and waits (bounded) until this gateway's follower has read it back. */
  private async write(topic: string, key: string, value: string | null): Promise<void> {
    let waiter: { key: string; value: string | null; resolve: () => void } | undefined;
    const seen = new Promise<void>((resolve) => this.waiters.add((waiter = { key, value, resolve })));
    try {
      await this.kafka.connection.send({ topic, key, value });
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), SEE_OWN_WRITE_MS)));
      if (await Promise.race([seen.then(() => false), late])) this.logger.warn(`record ${key} written but not read back within ${SEE_OWN_WRITE_MS} ms`);
      clearTimeout(timer);
    } finally {
      this.waiters.delete(waiter!);
    }
  }

  private applyScript(key: string, value: Buffer | null): void {
    try {
      this.table.apply(key, value);
    } catch (error) {
      // The gateway checks what it writes; a record written by hand may still be broken.
      this.logger.error(`scripts: record ${key} ignored: ${(error as Error).message}`);
    }
    const text = value === null ? null : value.toString('utf8');
    for (const waiter of this.waiters) if (waiter.key === key && waiter.value === text) waiter.resolve();
  }

  private applyAudit(key: string, value: Buffer | null): void {
    if (value === null) return;
    try {
      this.recentAudit.push(JSON.parse(value.toString('utf8')) as AuditRecord);
      if (this.recentAudit.length > RECENT_AUDIT) this.recentAudit.splice(0, this.recentAudit.length - RECENT_AUDIT);
    } catch (error) {
      this.logger.warn(`audit: record of ${key} is not JSON, skipped: ${(error as Error).message}`);
    }
  }
}
