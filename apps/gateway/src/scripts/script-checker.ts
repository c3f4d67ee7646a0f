import type { ScriptManifest } from '@flowgate/contracts';
import { checkScript, ScriptEngine, scriptManifestErrors, scriptSha256 } from '@flowgate/scripts';

/** What the admin API needs of the sandbox to accept an upload (libs/scripts; a seam for unit tests). */
export interface ScriptChecker {
  /** Everything wrong with the manifest for a script of that name; [] when it is sound. */
  manifestErrors(manifest: unknown, name: string): string[];
  /** Manifest, compile, load and every example, in a sandbox like the processors'; [] when the version is good. */
  check(record: { name: string; version: number; source: string; manifest: ScriptManifest }): Promise<string[]>;
  sha256(source: string, manifest: ScriptManifest): string;
}

export const SCRIPT_CHECKER = Symbol('SCRIPT_CHECKER');

/** The real checker: one sandbox engine (WASM, loaded once) for the gateway's life. */
export async function createScriptChecker(): Promise<ScriptChecker> {
  const engine = await ScriptEngine.create();
  return {
    manifestErrors: (manifest, name) => scriptManifestErrors(manifest, name),
    check: (record) => checkScript(engine, record),
    sha256: (source, manifest) => scriptSha256(source, manifest),
  };
}
