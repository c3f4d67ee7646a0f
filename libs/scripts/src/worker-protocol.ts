import type { ScriptCallContext, ScriptFailureReason } from './script-api';
import type { ScriptSpec } from './script-sandbox';

/**
 * Messages between ScriptEngine (the caller's thread) and a sandbox worker thread
 * (sandbox-worker.ts). Everything a call needs travels with it; the only round trips during a
 * call are the asynchronous capabilities (kv, and http when the host replaces the client).
 */
export type ToWorker =
  | { type: 'load'; sid: number; spec: ScriptSpec; maxSandboxes: number }
  | { type: 'unload'; sid: number }
  | {
      type: 'call';
      callId: number;
      sid: number;
      /** The input as JSON text. */
      input: string;
      ctx: ScriptCallContext;
      /** Which back ends the caller's host has. */
      has: { kv: boolean; state: boolean; emit: boolean; log: boolean; http: boolean };
      /** The current key's value of each granted store (absent: no value). */
      state: Record<string, unknown>;
      /** host.now() − Date.now() when the call was sent; absent: the worker's clock. */
      nowOffset?: number;
    }
  | { type: 'op-done'; callId: number; opId: number; ok: boolean; value?: unknown; message?: string };

export type StateWrite = { op: 'put'; store: string; value: unknown } | { op: 'delete'; store: string };

export interface CallReply {
  type: 'done';
  callId: number;
  value?: unknown;
  error?: { reason: ScriptFailureReason; message: string; code?: string; status?: number };
  /** In the order the script made them; the caller applies them only when the call succeeded. */
  writes: StateWrite[];
  emits: Array<{ topic: string; key: string; value: unknown }>;
  logs: Array<{ level: 'info' | 'warn' | 'error'; message: string; fields: Record<string, unknown> }>;
  /** The worker's WebAssembly memory after a budget or memory failure, bytes: it never shrinks. */
  heapBytes?: number;
}

export type FromWorker =
  | { type: 'ready' }
  | { type: 'loaded'; sid: number; error?: string }
  | { type: 'op'; callId: number; opId: number; op: 'kv.get' | 'kv.set' | 'kv.delete' | 'http'; args: unknown[] }
  | CallReply;

/** The slice watch a worker publishes (see watchSlices): [tag, start epoch ms or 0, used ms before]. */
export const SLICE_WATCH_LENGTH = 3;
