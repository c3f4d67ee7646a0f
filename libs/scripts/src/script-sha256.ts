import type { ScriptManifest } from '@flowgate/contracts';
import { createHash } from 'node:crypto';

/**
 * The fingerprint of a version (ScriptVersionRecord.sha256): SHA-256, hex, of the source, a NUL,
 * and the manifest as JSON with its object keys sorted, so a manifest re-serialised in another
 * key order keeps its hash.
 */
export function scriptSha256(source: string, manifest: ScriptManifest): string {
  const canonical = JSON.stringify(manifest, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]])) : v,
  );
  return createHash('sha256').update(source).update('\0').update(canonical).digest('hex');
}
