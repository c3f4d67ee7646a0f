import { parseScriptKey, ScriptActivationRecord, ScriptVersionRecord } from '@flowgate/contracts';

/** One record of `<prefix>scripts`, decoded; `record` null for a tombstone. */
export type DecodedScriptRecord =
  | { readonly type: 'version'; readonly name: string; readonly version: number; readonly record: ScriptVersionRecord | null }
  | { readonly type: 'active'; readonly name: string; readonly record: ScriptActivationRecord | null };

/**
 * Decodes a record of the scripts topic: undefined for a key this processor does not know (a
 * newer writer's), an error for a value that does not match its key. The admin API checks what it
 * writes; this guards against records written by hand.
 */
export function decodeScriptRecord(key: string, value: Buffer | null): DecodedScriptRecord | undefined {
  const parsed = parseScriptKey(key);
  if (!parsed) return undefined;
  if (value === null) return { ...parsed, record: null };
  const record = JSON.parse(value.toString('utf8')) as Record<string, unknown>;
  if (record === null || typeof record !== 'object' || record.name !== parsed.name) throw new Error(`value of ${key} does not name script ${parsed.name}`);
  if (record.kind !== undefined && record.kind !== 'route' && record.kind !== 'step') throw new Error(`value of ${key}: kind must be route or step`);
  if (parsed.type === 'version') {
    if (record.version !== parsed.version || typeof record.source !== 'string' || typeof record.manifest !== 'object' || record.manifest === null) {
      throw new Error(`value of ${key} is not version ${parsed.version} of ${parsed.name} with a source and a manifest`);
    }
    return { ...parsed, record: record as unknown as ScriptVersionRecord };
  }
  if (!Number.isInteger(record.stable) || typeof record.kind !== 'string') throw new Error(`value of ${key} has no stable version or kind`);
  const canary = record.canary as ScriptActivationRecord['canary'];
  if (canary !== undefined && (!Number.isInteger(canary.version) || !(canary.share > 0 && canary.share < 1) || typeof canary.rollbackMargin !== 'number' || !Number.isInteger(canary.minCalls))) {
    throw new Error(`value of ${key} has a malformed canary`);
  }
  return { ...parsed, record: record as unknown as ScriptActivationRecord };
}

/** Whether two activation records are the same record (read twice, e.g. after the reader started again). */
export function sameActivation(a: ScriptActivationRecord | undefined, b: ScriptActivationRecord | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && JSON.stringify(a) === JSON.stringify(b));
}
