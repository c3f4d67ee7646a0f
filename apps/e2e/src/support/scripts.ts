import {
  ScriptActivationRecord,
  ScriptCanary,
  ScriptManifest,
  ScriptVersionRecord,
  scriptVersionKey,
  topicNames,
} from '@flowgate/contracts';
import type { AppProcess } from './app-process';
import type { Cluster } from './cluster';
import type { KafkaRecords } from './kafka-records';

/** The admin token of the gateway ScriptAdmin starts (never a real one). */
export const E2E_ADMIN_TOKEN = 'e2e-admin-token-0123456789abcdef';

/**
 * The one place the end-to-end tests change scripts: the gateway's admin API, as an operator
 * would use it, on a gateway of the test's cluster that ScriptAdmin starts with the admin API on
 * (at first use). The specs number their uploads; a number the API gives differently fails.
 */
export class ScriptAdmin {
  private gateway: Promise<AppProcess> | undefined;

  constructor(private readonly cluster: Cluster) {}

  /** Uploads `source` as version `version` of `name` (checked by the gateway) and returns the stored record. */
  async putVersion(name: string, version: number, source: string, manifest: ScriptManifest): Promise<ScriptVersionRecord> {
    const uploaded = await this.call<{ version: number }>('PUT', `/scripts/${name}`, { source, manifest });
    if (uploaded.version !== version) throw new Error(`upload of ${name} became version ${uploaded.version}, not ${version}`);
    return this.call<ScriptVersionRecord>('GET', `/scripts/${name}/versions/${version}`);
  }

  /**
   * Makes `version` the one serving its script (no canary); for a route script the gateway puts
   * its route in the catalog. Resolves with the activation and when the call was sent (epoch ms).
   */
  async activate(version: ScriptVersionRecord): Promise<{ record: ScriptActivationRecord; writtenAt: number }> {
    const writtenAt = Date.now();
    const record = await this.call<ScriptActivationRecord>('POST', `/scripts/${version.name}/activate`, { version: version.version });
    return { record, writtenAt };
  }

  /** `canary.version` takes the keys whose hash falls below its share; the active version stays stable. */
  async canary(name: string, canary: ScriptCanary): Promise<ScriptActivationRecord> {
    return this.call<ScriptActivationRecord>('POST', `/scripts/${name}/canary`, canary);
  }

  /** Deletes the script: its versions, its activation and (route scripts) its route. */
  async remove(name: string): Promise<void> {
    await this.call('DELETE', `/scripts/${name}`);
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const gateway = await (this.gateway ??= this.cluster.start('gateway', { FLOWGATE_ADMIN_TOKEN: E2E_ADMIN_TOKEN }));
    const res = await fetch(`${gateway.adminUrl}/admin/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${E2E_ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} /admin/v1${path}: ${res.status} ${text}`);
    return JSON.parse(text) as T;
  }
}

/**
 * Writes a version record straight to `<prefix>scripts`, bypassing the gateway's checks: what an
 * older gateway, a restore from backup or a hand-made record could leave there. Only for testing
 * how processors treat a version that does not pass on them.
 */
export async function writeUncheckedVersion(records: KafkaRecords, prefix: string, record: ScriptVersionRecord): Promise<void> {
  await records.write(topicNames(prefix).scripts, [{ key: scriptVersionKey(record.name, record.version), value: JSON.stringify(record) }]);
}

/** The version a processor serves for `script` in `role`, from its `flowgate_script_active_version` gauge (undefined: none). */
export async function activeScriptVersion(processor: AppProcess, script: string, role: 'stable' | 'canary' = 'stable'): Promise<number | undefined> {
  // Versions start at 1: a sum of 0 means no series.
  return (await processor.metric('flowgate_script_active_version', { script, role })) || undefined;
}
