import { parseScriptKey, ScriptActivationRecord, ScriptCanary, ScriptKind, ScriptVersionRecord } from '@flowgate/contracts';

/** One script as the admin API lists it. */
export interface ScriptSummary {
  readonly name: string;
  readonly kind: ScriptKind;
  /** Stored versions, ascending. */
  readonly versions: number[];
  /** The version serving, absent until one is activated. */
  readonly stable?: number;
  readonly canary?: ScriptCanary;
}

/**
 * `<prefix>scripts` as a table: every stored version and every activation, by script name, as the
 * gateway's follower of the topic has read them. Pure: the records come in through `apply`.
 */
export class ScriptTable {
  private readonly versions = new Map<string, Map<number, ScriptVersionRecord>>();
  private readonly activations = new Map<string, ScriptActivationRecord>();

  /**
   * Applies one record of the topic (null: a tombstone).
   * @throws Error naming the record when its value is not a record of its key (the table is unchanged).
   */
  apply(key: string, value: Buffer | null): void {
    const parsed = parseScriptKey(key);
    if (!parsed) throw new Error(`unknown key ${JSON.stringify(key)}`);
    const record = value === null ? null : parseJson(key, value);
    if (parsed.type === 'active') {
      if (record === null) return void this.activations.delete(parsed.name);
      const activation = record as unknown as ScriptActivationRecord;
      if (activation.name !== parsed.name || !Number.isSafeInteger(activation.stable)) throw new Error(`record ${key} is not an activation of ${parsed.name}`);
      return void this.activations.set(parsed.name, activation);
    }
    const versions = this.versions.get(parsed.name) ?? new Map<number, ScriptVersionRecord>();
    if (record === null) versions.delete(parsed.version);
    else {
      const version = record as unknown as ScriptVersionRecord;
      if (version.name !== parsed.name || version.version !== parsed.version || typeof version.source !== 'string' || typeof version.manifest !== 'object') {
        throw new Error(`record ${key} is not version ${parsed.version} of ${parsed.name}`);
      }
      versions.set(parsed.version, version);
    }
    if (versions.size > 0) this.versions.set(parsed.name, versions);
    else this.versions.delete(parsed.name);
  }

  version(name: string, version: number): ScriptVersionRecord | undefined {
    return this.versions.get(name)?.get(version);
  }

  /** Every stored version of `name`, ascending. */
  versionsOf(name: string): ScriptVersionRecord[] {
    return [...(this.versions.get(name)?.values() ?? [])].sort((a, b) => a.version - b.version);
  }

  latest(name: string): ScriptVersionRecord | undefined {
    return this.versionsOf(name).at(-1);
  }

  /** The number the next upload of `name` gets: one past the highest stored (1 for a new or deleted script). */
  nextVersion(name: string): number {
    return (this.latest(name)?.version ?? 0) + 1;
  }

  activation(name: string): ScriptActivationRecord | undefined {
    return this.activations.get(name);
  }

  has(name: string): boolean {
    return this.versions.has(name) || this.activations.has(name);
  }

  summary(name: string): ScriptSummary | undefined {
    if (!this.has(name)) return undefined;
    const activation = this.activations.get(name);
    const versions = this.versionsOf(name);
    // The kind of the serving version, else of the newest upload (a script does not change its kind).
    const kind = activation?.kind ?? versions.at(-1)!.manifest.kind;
    return {
      name,
      kind,
      versions: versions.map((v) => v.version),
      ...(activation ? { stable: activation.stable } : {}),
      ...(activation?.canary ? { canary: activation.canary } : {}),
    };
  }

  /** Every script, by name. */
  list(): ScriptSummary[] {
    const names = new Set([...this.versions.keys(), ...this.activations.keys()]);
    return [...names].sort().map((name) => this.summary(name)!);
  }
}

function parseJson(key: string, value: Buffer): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch (error) {
    throw new Error(`record ${key} is not JSON: ${(error as Error).message}`, { cause: error });
  }
  if (parsed === null || typeof parsed !== 'object') throw new Error(`record ${key} is not a JSON object`);
  return parsed as Record<string, unknown>;
}
