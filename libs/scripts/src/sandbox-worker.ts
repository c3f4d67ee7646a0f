/**
 * The entry of a sandbox worker thread (bundled on its own as script-worker.js beside each app's
 * main.js, see tools/build/bundle.mjs): runs the QuickJS sandboxes of the versions ScriptEngine
 * loads into it, one call per message, and publishes its slices for the engine's watchdog.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ScriptHost } from './script-api';
import { ScriptCallError, ScriptLoadError } from './script-api';
import { PooledScript, quickJsModule, wasmHeapBytes } from './sandbox-pool';
import { ScriptSandbox, watchSlices } from './script-sandbox';
import type { CallReply, FromWorker, ToWorker } from './worker-protocol';

const port = parentPort;
if (!port) throw new Error('sandbox-worker runs in a worker thread');
const send = (message: FromWorker) => port.postMessage(message);
watchSlices(new Float64Array((workerData as { watch: SharedArrayBuffer }).watch));

const scripts = new Map<number, PooledScript>();
/** Capability round trips awaiting the engine's answer, by call and operation. */
const ops = new Map<string, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
let nextOp = 1;
const ready = quickJsModule();

function roundTrip(callId: number, op: 'kv.get' | 'kv.set' | 'kv.delete' | 'http', args: unknown[]): Promise<never> {
  const opId = nextOp++;
  return new Promise((resolve, reject) => {
    ops.set(`${callId}:${opId}`, { resolve: resolve as (value: unknown) => void, reject });
    send({ type: 'op', callId, opId, op, args });
  });
}

async function call(message: Extract<ToWorker, { type: 'call' }>): Promise<void> {
  const { callId, has } = message;
  const reply: CallReply = { type: 'done', callId, writes: [], emits: [], logs: [] };
  const state = new Map(Object.entries(message.state));
  const host: ScriptHost = {
    kv: has.kv ? { get: (key) => roundTrip(callId, 'kv.get', [key]), set: (key, value, ttl) => roundTrip(callId, 'kv.set', [key, value, ttl]), delete: (key) => roundTrip(callId, 'kv.delete', [key]) } : undefined,
    state: has.state
      ? {
          get: (store) => state.get(store),
          put: (store, value) => (state.set(store, value), void reply.writes.push({ op: 'put', store, value })),
          delete: (store) => (state.delete(store), void reply.writes.push({ op: 'delete', store })),
        }
      : undefined,
    emit: has.emit ? (topic, key, value) => void reply.emits.push({ topic, key, value }) : undefined,
    log: has.log ? (level, text, fields) => void reply.logs.push({ level, message: text, fields }) : undefined,
    http: has.http ? (request) => roundTrip(callId, 'http', [request]) : undefined,
    now: message.nowOffset === undefined ? undefined : () => Date.now() + message.nowOffset!,
  };
  try {
    const script = scripts.get(message.sid);
    if (!script) throw new ScriptCallError('error', `script version ${message.sid} is not loaded in this worker`);
    reply.value = await script.callJson(message.input, message.ctx, host, callId);
  } catch (error) {
    reply.error = error instanceof ScriptCallError ? { reason: error.reason, message: error.message, code: error.code, status: error.status } : { reason: 'error', message: String(error) };
    if (reply.error.reason !== 'error') reply.heapBytes = wasmHeapBytes(await ready);
  } finally {
    for (const key of ops.keys()) if (key.startsWith(`${callId}:`)) ops.delete(key);
  }
  try {
    send(reply);
  } catch (error) {
    send({ type: 'done', callId, error: { reason: 'error', message: `the result could not be sent: ${String(error)}` }, writes: [], emits: [], logs: [] });
  }
}

async function handle(message: ToWorker): Promise<void> {
  const module = await ready;
  switch (message.type) {
    case 'load': {
      try {
        const { spec, sid } = message;
        scripts.set(sid, new PooledScript(spec, () => new ScriptSandbox(module, spec, -sid), message.maxSandboxes));
        send({ type: 'loaded', sid });
      } catch (error) {
        send({ type: 'loaded', sid: message.sid, error: error instanceof ScriptLoadError ? error.message : String(error) });
      }
      return;
    }
    case 'unload': {
      const script = scripts.get(message.sid);
      scripts.delete(message.sid);
      await script?.dispose();
      return;
    }
    case 'call':
      return call(message);
    case 'op-done': {
      const key = `${message.callId}:${message.opId}`;
      const waiting = ops.get(key);
      ops.delete(key);
      if (message.ok) waiting?.resolve(message.value);
      else waiting?.reject(new Error(message.message));
      return;
    }
  }
}

port.on('message', (message: ToWorker) => void handle(message));
void ready.then(() => send({ type: 'ready' }));
