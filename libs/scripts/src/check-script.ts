import type { ScriptManifest } from '@flowgate/contracts';
import { isDeepStrictEqual } from 'node:util';
import { inMemoryScriptHost } from './in-memory-host';
import { ScriptCallError, ScriptLoadError, type LoadedScript } from './script-api';
import type { ScriptEngine } from './script-engine';
import { SCRIPT_MAX_SOURCE_BYTES, scriptManifestErrors } from './script-manifest';

/**
 * Whether a version may be stored (and, in a processor, swapped in): every problem of its
 * manifest; else why it does not load; else every example that does not give what it promises,
 * run with in-memory KV and state, emits collected and http refused. [] = good.
 */
export async function checkScript(engine: ScriptEngine, record: { name: string; version: number; source: string; manifest: ScriptManifest }): Promise<string[]> {
  const errors = scriptManifestErrors(record.manifest, record.name);
  if (typeof record.source !== 'string') errors.push('source must be a string');
  else if (Buffer.byteLength(record.source) > SCRIPT_MAX_SOURCE_BYTES) errors.push(`source is ${Buffer.byteLength(record.source)} bytes, over the ${SCRIPT_MAX_SOURCE_BYTES} allowed`);
  if (errors.length > 0) return errors;
  let script: LoadedScript;
  try {
    script = await engine.load(record);
  } catch (error) {
    if (error instanceof ScriptLoadError) return [error.message];
    throw error;
  }
  try {
    const failures: string[] = [];
    for (const [i, example] of (record.manifest.examples ?? []).entries()) {
      const host = inMemoryScriptHost({ kv: example.kv, state: example.state });
      const route = example.context?.route ?? (record.manifest.kind === 'route' ? record.name : undefined);
      const ctx = { id: `example-${i}`, route, key: example.context?.key, callerId: example.context?.callerId, timestamp: 0, deadline: Infinity };
      let actual: string;
      try {
        const output = await script.call(example.input, ctx, host);
        if (example.error === undefined && isDeepStrictEqual(JSON.parse(JSON.stringify(output ?? null)), example.output ?? null)) continue;
        actual = `output ${brief(output)}`;
      } catch (error) {
        if (!(error instanceof ScriptCallError)) throw error;
        if (error.reason === 'error' && error.code !== undefined && error.code === example.error) continue;
        actual = error.code !== undefined ? `RouteError ${error.code} (${error.message})` : `${error.reason === 'error' ? 'an error' : `a ${error.reason} failure`}: ${error.message}`;
      }
      const expected = example.error !== undefined ? `RouteError ${example.error}` : `output ${brief(example.output)}`;
      failures.push(`example ${i}: expected ${expected}, got ${actual}`);
    }
    return failures;
  } finally {
    await script.dispose();
  }
}

function brief(value: unknown): string {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
