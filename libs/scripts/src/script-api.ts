import type { ScriptManifest } from '@flowgate/contracts';
import type { ScriptHttpClient } from './http-capability';

/**
 * The sandbox's contract with its hosts (the gateway checks uploads with it, processors run
 * versions with it). Implemented in this library; apps supply the capabilities' back ends.
 */

/** What a script learns about the record it handles (`ctx` of its handler). */
export interface ScriptCallContext {
  readonly id: string;
  readonly route?: string;
  readonly key?: string;
  readonly callerId?: string;
  /** Record timestamp, epoch ms. */
  readonly timestamp: number;
  /** Absolute deadline, epoch ms (Infinity for events). */
  readonly deadline: number;
  readonly partition?: number;
}

/** Redis under the script's namespace (the host prefixes keys); values are strings. */
export interface ScriptKvStore {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlSeconds?: number): Promise<void>;
  delete(key: string): Promise<void>;
}

/** The current key's state in the step's stores (JSON values). */
export interface ScriptState {
  get(store: string): unknown;
  put(store: string, value: unknown): void;
  delete(store: string): void;
}

/** Back ends of the granted capabilities for one call; the sandbox exposes only what the manifest grants. */
export interface ScriptHost {
  readonly kv?: ScriptKvStore;
  readonly state?: ScriptState;
  /** Called for each `flowgate.emit`; the topic is already checked against the manifest. */
  readonly emit?: (topic: string, key: string, value: unknown) => void;
  readonly log?: (level: 'info' | 'warn' | 'error', message: string, fields: Record<string, unknown>) => void;
  /**
   * Does `flowgate.http.fetch` after the sandbox checked the URL against the allow-list; absent:
   * the engine's own client (Node's fetch, bounded). checkScript passes one that refuses.
   */
  readonly http?: ScriptHttpClient;
  /** `flowgate.now()`; absent: the host's clock. */
  readonly now?: () => number;
}

/** Why a call failed. `budget`: over its CPU time; `memory`: over its memory cap; `error`: the script threw. */
export type ScriptFailureReason = 'budget' | 'memory' | 'error';

/** A failed call. `code` is the RouteError code when the script threw one (`new RouteError(code, message)` inside the sandbox). */
export class ScriptCallError extends Error {
  constructor(
    readonly reason: ScriptFailureReason,
    message: string,
    readonly code?: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ScriptCallError';
  }
}

/** A version that did not compile or threw while loading. */
export class ScriptLoadError extends Error {
  override name = 'ScriptLoadError';
}

/** A version loaded into a sandbox of its own. */
export interface LoadedScript {
  readonly name: string;
  readonly version: number;
  readonly manifest: ScriptManifest;
  /** Calls the handler. Rejects with ScriptCallError; the sandbox stays usable for the next call. */
  call(input: unknown, ctx: ScriptCallContext, host: ScriptHost): Promise<unknown>;
  /** Frees the sandbox once the calls that started on it have ended. */
  dispose(): Promise<void>;
}
