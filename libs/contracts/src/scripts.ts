import type { RouteDeclaration } from './route-catalog';

/**
 * Hot-swapped business scripts (README "Scripts"): JavaScript uploaded through the gateway's admin
 * API, stored as versions in the compacted `<prefix>scripts` topic, run by every processor in a
 * sandbox, and swapped between records without a restart. This file is the wire format of that
 * topic and of the audit topic; the sandbox is libs/scripts.
 */

/** Script names follow the route name rule (a route script serves `POST /v1/{name}`). */
export { isValidRouteName as isValidScriptName } from './route-catalog';

/** Where a script runs: as the handler of a route of its own, or as a `.script(name)` step of a job. */
export type ScriptKind = 'route' | 'step';

/** What a script may do besides computing; nothing that is not granted here exists in its sandbox. */
export interface ScriptCapabilities {
  /** `flowgate.http.fetch(url, init)` to these host names only (exact, or `*.example.com`). */
  readonly http?: { readonly hosts: readonly string[]; readonly timeoutMs?: number };
  /** `flowgate.kv.get/set/delete` in Redis under `script:<namespace>:` (default namespace: the script's name). */
  readonly kv?: { readonly namespace?: string };
  /** `flowgate.state.get/put/delete(store)`: the current key's state in these stores of the job step (step scripts of keyed jobs). */
  readonly state?: { readonly stores: readonly string[] };
  /** `flowgate.emit(topic, key, value)` to these topics (under the prefix), in the job's transaction where it is exactly-once. */
  readonly emit?: { readonly topics: readonly string[] };
  /** `flowgate.log.info/warn/error(message, fields)`: structured lines in the processor's log, tagged with script and version. */
  readonly log?: boolean;
}

/** Budgets of one script; defaults in `SCRIPT_LIMIT_DEFAULTS`. */
export interface ScriptLimits {
  /** CPU time one call may spend inside the sandbox, ms. */
  readonly cpuMs?: number;
  /** Memory of the script's sandbox, MiB. */
  readonly memoryMb?: number;
}

export const SCRIPT_LIMIT_DEFAULTS = { cpuMs: 50, memoryMb: 32 } as const;
export const SCRIPT_LIMIT_MAXIMA = { cpuMs: 5_000, memoryMb: 256 } as const;

/**
 * An example a version must pass before it can be stored: the handler called with `input` (and
 * `context`, `state`, `kv` as given) must return `output` (deep equality), or throw a RouteError
 * with `error` as its code.
 */
export interface ScriptExample {
  readonly input: unknown;
  readonly context?: { readonly key?: string; readonly route?: string; readonly callerId?: string };
  /** Initial state of the step's stores for the example's key. */
  readonly state?: Readonly<Record<string, unknown>>;
  /** Initial KV entries of the script's namespace. */
  readonly kv?: Readonly<Record<string, string>>;
  readonly output?: unknown;
  readonly error?: string;
}

/** What an upload declares besides the source. */
export interface ScriptManifest {
  readonly kind: ScriptKind;
  /** Route scripts: the route they serve (named like the script, on the shared requests topic). */
  readonly route?: Omit<RouteDeclaration, 'name' | 'topic'>;
  readonly capabilities?: ScriptCapabilities;
  readonly limits?: ScriptLimits;
  readonly examples?: readonly ScriptExample[];
}

/** A stored version (key `version/<name>/<version>`). */
export interface ScriptVersionRecord {
  readonly name: string;
  /** 1, 2, 3… per name. */
  readonly version: number;
  readonly source: string;
  readonly manifest: ScriptManifest;
  /** SHA-256 of the source and the canonical manifest, hex. */
  readonly sha256: string;
  readonly uploadedAt: string;
  readonly uploadedBy: string;
}

/** A canary: a share of keys (or of requests, without a key) on another version. */
export interface ScriptCanary {
  readonly version: number;
  /** 0 < share < 1; a key's hash decides, so one key stays on one version. */
  readonly share: number;
  /** Rolled back when its error rate exceeds the stable version's by more than this (0.05 = 5 points)… */
  readonly rollbackMargin: number;
  /** …once it has had at least this many calls in one processor. */
  readonly minCalls: number;
  /** Promoted automatically after this many calls without an error; absent: only by an admin call. */
  readonly promoteAfter?: number;
}

/** Which versions serve a script (key `active/<name>`); a tombstone when the script is deleted. */
export interface ScriptActivationRecord {
  readonly name: string;
  readonly kind: ScriptKind;
  readonly stable: number;
  readonly canary?: ScriptCanary;
  readonly changedAt: string;
  readonly changedBy: string;
  /** Why it changed: `activate`, `rollback`, `canary`, `promote`, `auto-rollback: …`, `auto-promote`. */
  readonly reason: string;
}

export type ScriptRecord = { readonly type: 'version'; readonly value: ScriptVersionRecord } | { readonly type: 'active'; readonly value: ScriptActivationRecord };

export function scriptVersionKey(name: string, version: number): string {
  return `version/${name}/${version}`;
}

export function scriptActivationKey(name: string): string {
  return `active/${name}`;
}

/** The key's kind and script name, or undefined for a key this version does not know. */
export function parseScriptKey(key: string): { type: 'version'; name: string; version: number } | { type: 'active'; name: string } | undefined {
  const parts = key.split('/');
  if (parts[0] === 'active' && parts.length === 2) return { type: 'active', name: parts[1] };
  if (parts[0] === 'version' && parts.length === 3 && /^[1-9][0-9]*$/.test(parts[2])) return { type: 'version', name: parts[1], version: Number(parts[2]) };
  return undefined;
}

/** One admin action, as written to `<prefix>audit` (keyed by script name). */
export interface AuditRecord {
  readonly at: string;
  /** Who called: the admin token's fingerprint (`token:<first 12 hex of its SHA-256>`), or `processor:<host>` for automatic decisions. */
  readonly actor: string;
  /** `upload`, `activate`, `canary`, `promote`, `rollback`, `delete`, `auto-rollback`, `auto-promote`, or `refused:<action>`. */
  readonly action: string;
  readonly script: string;
  readonly version?: number;
  readonly sha256?: string;
  readonly detail?: string;
}
