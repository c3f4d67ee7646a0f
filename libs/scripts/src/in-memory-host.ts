import type { ScriptHost, ScriptKvStore, ScriptState } from './script-api';

/** What a script did through an in-memory host: its emits and log lines, and the KV and state as they ended. */
export interface InMemoryScriptHost extends ScriptHost {
  readonly kv: ScriptKvStore;
  readonly state: ScriptState;
  readonly kvEntries: Map<string, string>;
  readonly stateEntries: Map<string, unknown>;
  readonly emitted: Array<{ topic: string; key: string; value: unknown }>;
  readonly logged: Array<{ level: string; message: string; fields: Record<string, unknown> }>;
}

/**
 * A host whose KV and state live in maps, whose emits and log lines are collected, and whose
 * http refuses (unless `http` is given): what checkScript runs examples with, and what a test of
 * a script needs.
 */
export function inMemoryScriptHost(initial: { kv?: Readonly<Record<string, string>>; state?: Readonly<Record<string, unknown>>; http?: ScriptHost['http']; now?: () => number } = {}): InMemoryScriptHost {
  const kvEntries = new Map(Object.entries(initial.kv ?? {}));
  const stateEntries = new Map(Object.entries(initial.state ?? {}));
  const emitted: InMemoryScriptHost['emitted'] = [];
  const logged: InMemoryScriptHost['logged'] = [];
  return {
    kvEntries,
    stateEntries,
    emitted,
    logged,
    kv: {
      get: async (key) => kvEntries.get(key) ?? null,
      set: async (key, value) => void kvEntries.set(key, value),
      delete: async (key) => void kvEntries.delete(key),
    },
    state: {
      get: (store) => stateEntries.get(store),
      put: (store, value) => void stateEntries.set(store, value),
      delete: (store) => void stateEntries.delete(store),
    },
    emit: (topic, key, value) => void emitted.push({ topic, key, value }),
    log: (level, message, fields) => void logged.push({ level, message, fields }),
    http: initial.http ?? (async (request) => Promise.reject(new Error(`flowgate.http.fetch: no network here (${request.method} ${request.url} refused while running examples)`))),
    now: initial.now,
  };
}
