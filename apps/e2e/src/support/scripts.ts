import { createHash } from 'node:crypto';
import {
  CatalogEntry,
  encodeCatalogEntry,
  ScriptActivationRecord,
  scriptActivationKey,
  ScriptCanary,
  ScriptManifest,
  ScriptVersionRecord,
  scriptVersionKey,
  topicNames,
} from '@flowgate/contracts';
import type { AppProcess } from './app-process';
import type { KafkaRecords } from './kafka-records';

/**
 * The one place the end-to-end tests change scripts: versions and activations written to
 * `<prefix>scripts` (and a route script's catalog entry to `<prefix>routes`), encoded as the
 * gateway's admin API writes them. When the admin API is there, these functions call it instead
 * and the specs stay as they are.
 */
export class ScriptAdmin {
  private readonly topics;

  constructor(
    private readonly records: KafkaRecords,
    prefix: string,
    private readonly actor = 'token:e2e',
  ) {
    this.topics = topicNames(prefix);
  }

  /** Stores version `version` of `name`; resolves once Kafka has it. */
  async putVersion(name: string, version: number, source: string, manifest: ScriptManifest): Promise<ScriptVersionRecord> {
    const record: ScriptVersionRecord = {
      name, version, source, manifest,
      sha256: createHash('sha256').update(source).update('\n').update(JSON.stringify(manifest)).digest('hex'),
      uploadedAt: new Date().toISOString(),
      uploadedBy: this.actor,
    };
    await this.records.write(this.topics.scripts, [{ key: scriptVersionKey(name, version), value: JSON.stringify(record) }]);
    return record;
  }

  /**
   * Makes `stable` the version serving `name` (no canary), and for a route script puts its route
   * in the catalog. Resolves with the record written and when it was sent (epoch ms), once Kafka has it.
   */
  activate(version: ScriptVersionRecord, reason = 'activate'): Promise<{ record: ScriptActivationRecord; writtenAt: number }> {
    return this.writeActivation(version, { stable: version.version, reason });
  }

  /** `stable` serves, `canary` takes the keys whose hash falls below its share. */
  canary(stable: ScriptVersionRecord, canary: ScriptCanary): Promise<{ record: ScriptActivationRecord; writtenAt: number }> {
    return this.writeActivation(stable, { stable: stable.version, canary, reason: 'canary' });
  }

  /** Deletes the script: its activation's tombstone, and its route's. */
  async remove(name: string, kind: 'route' | 'step'): Promise<void> {
    await this.records.write(this.topics.scripts, [{ key: scriptActivationKey(name), value: null }]);
    if (kind === 'route') await this.records.write(this.topics.routes, [{ key: name, value: null }]);
  }

  private async writeActivation(
    version: ScriptVersionRecord,
    { stable, canary, reason }: { stable: number; canary?: ScriptCanary; reason: string },
  ): Promise<{ record: ScriptActivationRecord; writtenAt: number }> {
    const { name, manifest } = version;
    const record: ScriptActivationRecord = {
      name, kind: manifest.kind, stable, ...(canary ? { canary } : {}),
      changedAt: new Date().toISOString(), changedBy: this.actor, reason,
    };
    // Taken before the write, so a time measured from it is never shorter than from the record's own timestamp.
    const writtenAt = Date.now();
    await this.records.write(this.topics.scripts, [{ key: scriptActivationKey(name), value: JSON.stringify(record) }]);
    if (manifest.kind === 'route') {
      const entry: CatalogEntry = { job: `script:${name}`, route: { summary: `script ${name}`, ...manifest.route, name } };
      await this.records.write(this.topics.routes, [{ key: name, value: encodeCatalogEntry(entry) }]);
    }
    return { record, writtenAt };
  }
}

/** The version a processor serves for `script` in `role`, from its `flowgate_script_active_version` gauge (undefined: none). */
export async function activeScriptVersion(processor: AppProcess, script: string, role: 'stable' | 'canary' = 'stable'): Promise<number | undefined> {
  // Versions start at 1: a sum of 0 means no series.
  return (await processor.metric('flowgate_script_active_version', { script, role })) || undefined;
}
