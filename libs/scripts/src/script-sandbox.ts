import type { ScriptManifest } from '@flowgate/contracts';
import type { QuickJSContext, QuickJSHandle, QuickJSRuntime, QuickJSWASMModule } from 'quickjs-emscripten';
import { performance } from 'node:perf_hooks';
import { fetchHttp, httpRequestOf } from './http-capability';
import { SANDBOX_PRELUDE } from './sandbox-prelude';
import { ScriptCallError, ScriptLoadError, type ScriptCallContext, type ScriptHost } from './script-api';
import { isObject, SCRIPT_HTTP_TIMEOUT_DEFAULT_MS, scriptLimits } from './script-manifest';

/** What one version is made of. */
export interface ScriptSpec {
  readonly name: string;
  readonly version: number;
  readonly source: string;
  readonly manifest: ScriptManifest;
}

/** CPU a module may spend while it loads (its top-level code), whatever its per-call budget. */
export const SCRIPT_LOAD_CPU_MS = 1_000;
/** The interpreter's stack: deep enough for ordinary recursion, well inside the WASM module's own stack. */
export const SCRIPT_MAX_STACK_BYTES = 256 * 1024;
export const SCRIPT_KV_MAX_KEY_LENGTH = 512;
export const SCRIPT_KV_MAX_VALUE_BYTES = 1024 * 1024;

/** CPU accounting of one call (or of the load): only the time spent running inside the sandbox counts. */
interface Meter {
  /** Whose work this is, for the watchdog of a worker thread (see watchSlices): a call's tag, or 0. */
  readonly tag: number;
  readonly budgetMs: number;
  usedMs: number;
  /** performance.now() when the current synchronous slice began; 0 between slices. */
  sliceStart: number;
  /** process.cpuUsage() when the call (or load) began. */
  readonly cpuStart: NodeJS.CpuUsage;
  interrupted: boolean;
}

interface ActiveCall extends Meter {
  readonly host: ScriptHost;
  /** Capability calls started and not yet settled: the call can only end once they do (or it fails). */
  readonly ops: Set<number>;
  promise?: QuickJSHandle;
  /** A host-side failure inside a slice (e.g. the sandbox ran out of memory while a value was copied in). */
  fault?: unknown;
  done: boolean;
  /** Ends a call still awaiting a capability when its record's deadline passes. */
  deadlineTimer?: NodeJS.Timeout;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: ScriptCallError) => void;
}

let cpuSample = { at: -Infinity, usage: process.cpuUsage() };

/**
 * process.cpuUsage() of at most a few ms ago: a call's baseline. The system call costs µs, as
 * much as a small script call; a baseline up to 5 ms early only charges the call up to 5 ms more
 * CPU, and only in the check that follows "over budget" by the wall clock.
 */
function recentCpuUsage(): NodeJS.CpuUsage {
  const now = performance.now();
  if (now - cpuSample.at > 5) cpuSample = { at: now, usage: process.cpuUsage() };
  return cpuSample.usage;
}

/**
 * Where a worker thread publishes the slice it is running, for the main thread's watchdog to read
 * while this thread may be stuck inside one: [tag, wall-clock start (epoch ms; 0 between slices),
 * the tag's time used before the slice (ms)].
 */
let sliceWatch: Float64Array | undefined;

/** Publishes every slice of this thread's sandboxes into `watch` (a SharedArrayBuffer's view, 3 numbers). */
export function watchSlices(watch: Float64Array): void {
  sliceWatch = watch;
}

function startSlice(meter: Meter): void {
  meter.sliceStart = performance.now();
  if (sliceWatch && meter.tag !== 0) {
    sliceWatch[0] = meter.tag;
    sliceWatch[2] = meter.usedMs;
    sliceWatch[1] = Date.now();
  }
}

function endSlice(meter: Meter): void {
  meter.usedMs += performance.now() - meter.sliceStart;
  meter.sliceStart = 0;
  if (sliceWatch) sliceWatch[1] = 0;
}

/**
 * Whether the call is over its budget: the wall time of its slices, but never more than the CPU
 * time the whole process used since the call began, so a thread that was preempted or throttled
 * (a container's CPU quota) is not charged for waiting. Node 20 has no per-thread CPU clock and
 * the process clock costs a system call, so it is read only once the wall time says "over".
 */
function overBudget(meter: Meter): boolean {
  const wall = meter.usedMs + (meter.sliceStart === 0 ? 0 : performance.now() - meter.sliceStart);
  if (wall <= meter.budgetMs) return false;
  const cpu = process.cpuUsage(meter.cpuStart);
  return (cpu.user + cpu.system) / 1000 > meter.budgetMs;
}

/** The input of a call as the sandbox takes it: JSON text. @throws ScriptCallError when it is not JSON. */
export function inputJsonOf(label: string, input: unknown): string {
  try {
    return JSON.stringify(input) ?? 'null';
  } catch (error) {
    throw new ScriptCallError('error', `${label}: the input is not JSON: ${(error as Error).message}`);
  }
}

type Outcome = { ok: true; value?: unknown } | { ok: false; route?: boolean; code?: string; message: string; status?: number; name?: string };

/**
 * One QuickJS runtime and context holding one loaded version: its own heap (capped), its own
 * interrupt handler (the CPU budget), its own globals. It runs one call at a time; the pool in
 * ScriptEngine gives concurrent calls sandboxes of their own, so a capability call always knows
 * whose call it serves and one call's awaits never run another's code.
 */
export class ScriptSandbox {
  /** Set after a budget or memory failure: the pool replaces the sandbox rather than trust its heap. */
  broken = false;
  private readonly runtime: QuickJSRuntime;
  private readonly context: QuickJSContext;
  private readonly invoke: QuickJSHandle;
  private readonly settle: QuickJSHandle;
  private nextOp = 1;
  private readonly limits: { cpuMs: number; memoryMb: number };
  private readonly label: string;
  private meter: Meter | undefined;
  private call: ActiveCall | undefined;
  private disposed = false;

  /**
   * @param loadTag the watchdog's tag of the load (see watchSlices), 0 for none
   * @throws ScriptLoadError when the source does not compile, throws while loading, or exports no handler.
   */
  constructor(
    module: QuickJSWASMModule,
    private readonly spec: ScriptSpec,
    private readonly loadTag = 0,
  ) {
    this.limits = scriptLimits(spec.manifest);
    this.label = `script ${spec.name}@${spec.version}`;
    this.runtime = module.newRuntime();
    this.runtime.setMemoryLimit(this.limits.memoryMb * 1024 * 1024);
    this.runtime.setMaxStackSize(SCRIPT_MAX_STACK_BYTES);
    this.runtime.setInterruptHandler(() => this.shouldInterrupt());
    this.context = this.runtime.newContext();
    try {
      [this.invoke, this.settle] = this.load();
    } catch (error) {
      this.dispose();
      throw error;
    }
  }

  /**
   * Runs the handler on one record (its input as JSON text, see inputJsonOf); rejects with ScriptCallError.
   * @param tag the watchdog's tag of the call (see watchSlices), 0 for none
   */
  run(inputJson: string, callContext: ScriptCallContext, host: ScriptHost, tag = 0): Promise<unknown> {
    if (this.call || this.disposed) return Promise.reject(new Error(`${this.label}: sandbox busy or disposed (a pool bug)`));
    const contextJson = JSON.stringify(callContext);
    return new Promise((resolve, reject) => {
      const call: ActiveCall = { tag, budgetMs: this.limits.cpuMs, usedMs: 0, sliceStart: 0, cpuStart: recentCpuUsage(), interrupted: false, host, ops: new Set(), done: false, resolve, reject };
      this.call = call;
      const left = callContext.deadline - Date.now();
      if (Number.isFinite(left)) {
        // Only a call that awaits a capability can still be running then: no one waits for the
        // answer any more, and a host whose kv or http never answers must not hold the sandbox.
        call.deadlineTimer = setTimeout(() => this.finish(call, new ScriptCallError('error', `${this.label}: the record's deadline passed while the handler awaited a capability`)), Math.max(0, left));
        call.deadlineTimer.unref();
      }
      this.slice(call, () => {
        const ctx = this.context;
        const inputHandle = ctx.newString(inputJson);
        const contextHandle = ctx.newString(contextJson);
        const result = ctx.callFunction(this.invoke, ctx.undefined, inputHandle, contextHandle);
        inputHandle.dispose();
        contextHandle.dispose();
        if (result.error) {
          call.fault = new Error(this.errorText(result.error));
          result.error.dispose();
          return;
        }
        call.promise = result.value;
        this.pump(call);
      });
      this.check(call);
    });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.call) this.finish(this.call, new ScriptCallError('error', `${this.label} was unloaded during the call`));
    this.invoke?.dispose();
    this.settle?.dispose();
    this.context.dispose();
    this.runtime.dispose();
  }

  private load(): [invoke: QuickJSHandle, settle: QuickJSHandle] {
    const meter: Meter = { tag: this.loadTag, budgetMs: SCRIPT_LOAD_CPU_MS, usedMs: 0, sliceStart: 0, cpuStart: process.cpuUsage(), interrupted: false };
    this.meter = meter;
    const ctx = this.context;
    const handles: QuickJSHandle[] = [];
    const keep = <T extends QuickJSHandle>(handle: T): T => (handles.push(handle), handle);
    const unwrap = (result: ReturnType<QuickJSContext['evalCode']>, what: string): QuickJSHandle => {
      if (!result.error) return keep(result.value);
      const text = this.errorText(result.error);
      result.error.dispose();
      if (meter.interrupted) throw new ScriptLoadError(`${this.label} used more than ${SCRIPT_LOAD_CPU_MS} ms of CPU while ${what}`);
      throw new ScriptLoadError(`${this.label} ${what === 'loading' ? 'failed to load' : `failed ${what}`}: ${text}`);
    };
    const timed = <T>(fn: () => T): T => {
      startSlice(meter);
      try {
        return fn();
      } finally {
        endSlice(meter);
      }
    };
    try {
      const prelude = unwrap(ctx.evalCode(SANDBOX_PRELUDE, 'flowgate-prelude.js', { type: 'global', strict: true }), 'in its prelude');
      const hostCall = keep(ctx.newFunction('hostCall', (op, args) => this.hostCall(ctx.getString(op), ctx.getString(args))));
      const grants = keep(ctx.newString(JSON.stringify(this.grants())));
      const exported = unwrap(ctx.callFunction(prelude, ctx.undefined, hostCall, grants), 'in its prelude');
      const bind = keep(ctx.getProp(exported, 'bind'));
      const settle = keep(ctx.getProp(exported, 'settle'));
      const evaluated = unwrap(timed(() => ctx.evalCode(this.spec.source, `${this.spec.name}.js`, { type: 'module' })), 'loading');
      const exports = this.moduleExports(evaluated, keep, timed);
      const handler = keep(ctx.getProp(exports, 'default'));
      if (ctx.typeof(handler) !== 'function') throw new ScriptLoadError(`${this.label} has no handler: its module must \`export default function (input, ctx) {…}\``);
      const invoke = unwrap(ctx.callFunction(bind, ctx.undefined, handler), 'in its prelude');
      // These two outlive the load.
      handles.splice(handles.indexOf(settle), 1);
      handles.pop();
      return [invoke, settle];
    } finally {
      for (const handle of handles.reverse()) if (handle.alive) handle.dispose();
      this.meter = undefined;
    }
  }

  /** A module evaluates to its namespace, or to a promise of it when it uses top-level await. */
  private moduleExports(evaluated: QuickJSHandle, keep: (h: QuickJSHandle) => QuickJSHandle, timed: <T>(fn: () => T) => T): QuickJSHandle {
    const ctx = this.context;
    let state = ctx.getPromiseState(evaluated);
    if (state.type === 'fulfilled' && state.notAPromise) return evaluated;
    if (state.type === 'pending') {
      timed(() => this.runtime.executePendingJobs().dispose());
      state = ctx.getPromiseState(evaluated);
    }
    if (state.type === 'fulfilled') return keep(state.value);
    if (state.type === 'rejected') {
      const text = this.errorText(state.error);
      state.error.dispose();
      throw new ScriptLoadError(`${this.label} failed to load: ${text}`);
    }
    throw new ScriptLoadError(`${this.label} failed to load: its top-level await never settles (capabilities are not available while a module loads)`);
  }

  private grants(): Record<string, boolean> {
    const c = this.spec.manifest.capabilities ?? {};
    return { http: c.http !== undefined, kv: c.kv !== undefined, state: c.state !== undefined, emit: c.emit !== undefined, log: c.log === true };
  }

  /** The one door out of the sandbox: `op` with JSON arguments; returns JSON text, a promise of it, or undefined. */
  private hostCall(op: string, argsJson: string): QuickJSHandle {
    const ctx = this.context;
    const call = this.call;
    if (op === 'tick') {
      // A large builtin is about to run (see the prelude): refuse it once the budget is spent.
      const meter = this.meter;
      if (meter && (meter.interrupted || overBudget(meter))) {
        meter.interrupted = true;
        throw new Error('over its CPU budget');
      }
      return ctx.undefined;
    }
    if (op === 'now') return ctx.newNumber(call?.host.now?.() ?? Date.now());
    if (!call || call.done) throw new Error('flowgate: capabilities work only while the handler runs, not while the module loads');
    const args = JSON.parse(argsJson) as unknown[];
    const json = (value: unknown) => (value === undefined ? ctx.undefined : ctx.newString(JSON.stringify(value)));
    const caps = this.spec.manifest.capabilities ?? {};
    switch (op) {
      case 'state.get':
        return json(this.state(call, args[0]).get(args[0] as string));
      case 'state.put':
        this.state(call, args[0]).put(args[0] as string, args[1] ?? null);
        return ctx.undefined;
      case 'state.delete':
        this.state(call, args[0]).delete(args[0] as string);
        return ctx.undefined;
      case 'emit': {
        const [topic, key, value] = args;
        if (typeof topic !== 'string' || !caps.emit?.topics.includes(topic)) throw new Error(`flowgate.emit: topic ${JSON.stringify(topic)} is not declared in this script's manifest (${caps.emit?.topics.join(', ')})`);
        if (typeof key !== 'string') throw new Error('flowgate.emit: the key must be a string');
        if (!call.host.emit) throw new Error('flowgate.emit is not available where this script runs');
        call.host.emit(topic, key, value ?? null);
        return ctx.undefined;
      }
      case 'log': {
        const [level, message, fields] = args;
        if (level !== 'info' && level !== 'warn' && level !== 'error') throw new Error(`flowgate.log: unknown level ${String(level)}`);
        call.host.log?.(level, String(message), isObject(fields) ? fields : { fields });
        return ctx.undefined;
      }
      case 'kv.get':
      case 'kv.set':
      case 'kv.delete':
        return this.kv(call, op, args);
      case 'http.fetch': {
        const grant = { hosts: caps.http?.hosts ?? [], timeoutMs: caps.http?.timeoutMs ?? SCRIPT_HTTP_TIMEOUT_DEFAULT_MS };
        const request = httpRequestOf(args[0], args[1], grant);
        return this.startOp(call, () => (call.host.http ?? fetchHttp)(request));
      }
      default:
        throw new Error(`flowgate: unknown operation ${op}`);
    }
  }

  private state(call: ActiveCall, store: unknown) {
    const stores = this.spec.manifest.capabilities?.state?.stores ?? [];
    if (typeof store !== 'string' || !stores.includes(store)) throw new Error(`flowgate.state: store ${JSON.stringify(store)} is not declared in this script's manifest (${stores.join(', ')})`);
    if (!call.host.state) throw new Error('flowgate.state is only available in a step of a keyed job');
    return call.host.state;
  }

  private kv(call: ActiveCall, op: 'kv.get' | 'kv.set' | 'kv.delete', [key, value, ttl]: unknown[]): QuickJSHandle {
    if (typeof key !== 'string' || key.length === 0 || key.length > SCRIPT_KV_MAX_KEY_LENGTH) throw new Error(`flowgate.${op}: the key must be a string of 1 to ${SCRIPT_KV_MAX_KEY_LENGTH} characters`);
    const kv = call.host.kv;
    if (!kv) throw new Error('flowgate.kv is not available where this script runs');
    if (op === 'kv.get') return this.startOp(call, () => kv.get(key));
    if (op === 'kv.delete') return this.startOp(call, () => kv.delete(key));
    if (typeof value !== 'string') throw new Error('flowgate.kv.set: the value must be a string (JSON.stringify it)');
    if (Buffer.byteLength(value) > SCRIPT_KV_MAX_VALUE_BYTES) throw new Error(`flowgate.kv.set: the value is over ${SCRIPT_KV_MAX_VALUE_BYTES} bytes`);
    if (ttl !== null && ttl !== undefined && (typeof ttl !== 'number' || !Number.isSafeInteger(ttl) || ttl < 1)) throw new Error('flowgate.kv.set: ttlSeconds must be a whole number of at least 1');
    return this.startOp(call, () => kv.set(key, value, (ttl as number | null) ?? undefined));
  }

  /** An asynchronous capability: a promise in the sandbox, settled from the host when the work ends. */
  private startOp(call: ActiveCall, work: () => Promise<unknown>): QuickJSHandle {
    const id = this.nextOp++;
    call.ops.add(id);
    let promise: Promise<unknown>;
    try {
      promise = work();
    } catch (error) {
      promise = Promise.reject(error);
    }
    promise.then(
      (value) => this.settleOp(call, id, true, value === undefined ? undefined : JSON.stringify(value)),
      (error: unknown) => this.settleOp(call, id, false, error instanceof Error ? error.message : String(error)),
    );
    return this.context.newNumber(id);
  }

  private settleOp(call: ActiveCall, id: number, ok: boolean, text: string | undefined): void {
    // A call that already ended (failed, or returned without awaiting) forgets its operations.
    if (!call.ops.delete(id) || call.done) return;
    this.slice(call, () => {
      const ctx = this.context;
      const idHandle = ctx.newNumber(id);
      const textHandle = text === undefined ? ctx.undefined : ctx.newString(text);
      const result = ctx.callFunction(this.settle, ctx.undefined, idHandle, ok ? ctx.true : ctx.false, textHandle);
      idHandle.dispose();
      textHandle.dispose();
      if (result.error) {
        if (!call.interrupted) call.fault ??= new Error(this.errorText(result.error));
        result.error.dispose();
        return;
      }
      result.value.dispose();
      this.pump(call);
    });
    this.check(call);
  }

  /** One synchronous stretch of sandbox work, timed against the call's budget. */
  private slice(call: ActiveCall, fn: () => void): void {
    this.meter = call;
    startSlice(call);
    try {
      fn();
    } catch (error) {
      call.fault ??= error;
    } finally {
      endSlice(call);
    }
  }

  private pump(call: ActiveCall): void {
    const result = this.runtime.executePendingJobs();
    if (result.error) {
      // Only what a script cannot catch gets here: an interrupt (the flag says so) or a fatal error.
      if (!call.interrupted) call.fault ??= new Error(this.errorText(result.error));
      result.error.dispose();
    }
  }

  private shouldInterrupt(): boolean {
    const meter = this.meter;
    if (!meter || meter.sliceStart === 0) return false;
    if (!meter.interrupted && overBudget(meter)) meter.interrupted = true;
    return meter.interrupted;
  }

  /** After every slice: has the call ended, and how? */
  private check(call: ActiveCall): void {
    if (call.done) return;
    if (call.interrupted) return this.finish(call, new ScriptCallError('budget', `${this.label} used more than its ${call.budgetMs} ms of CPU`), true);
    if (call.fault !== undefined) {
      const text = call.fault instanceof Error ? call.fault.message : String(call.fault);
      return this.finish(call, this.failure(undefined, text), true);
    }
    const ctx = this.context;
    const state = ctx.getPromiseState(call.promise!);
    if (state.type === 'pending') {
      if (call.ops.size === 0) this.finish(call, new ScriptCallError('error', `${this.label}: the handler awaits something that never settles (only flowgate capabilities complete asynchronously)`));
      return;
    }
    if (state.type === 'rejected') {
      const text = this.errorText(state.error);
      state.error.dispose();
      return this.finish(call, this.failure(undefined, text), true);
    }
    const outcome = JSON.parse(ctx.getString(state.value)) as Outcome;
    state.value.dispose();
    if (outcome.ok) return this.finish(call, undefined, false, outcome.value);
    if (outcome.route) return this.finish(call, new ScriptCallError('error', outcome.message, outcome.code, outcome.status));
    const error = this.failure(outcome.name, outcome.message);
    this.finish(call, error, error.reason === 'memory');
  }

  private failure(name: string | undefined, message: string): ScriptCallError {
    // QuickJS reports both with InternalError; the script may have caught and rethrown them.
    if (/out of memory|stack overflow/.test(message)) return new ScriptCallError('memory', `${this.label} ran out of memory (limit ${this.limits.memoryMb} MiB, or its stack): ${message}`);
    return new ScriptCallError('error', name && name !== 'Error' && !message.startsWith(name) ? `${name}: ${message}` : message);
  }

  private finish(call: ActiveCall, error: ScriptCallError | undefined, broken = false, value?: unknown): void {
    if (call.done) return;
    call.done = true;
    clearTimeout(call.deadlineTimer);
    this.call = undefined;
    this.meter = undefined;
    call.ops.clear();
    call.promise?.dispose();
    if (broken) this.broken = true;
    if (error) call.reject(error);
    else call.resolve(value);
  }

  /** "Name: message (at file:line:col)" of a thrown value. */
  private errorText(handle: QuickJSHandle): string {
    const dumped: unknown = this.context.dump(handle);
    if (!isObject(dumped) || typeof dumped['message'] !== 'string') return String(dumped);
    // QuickJS frames read "at fn (file:line:col)" or "at file:line:col".
    const at = typeof dumped['stack'] === 'string' ? /at (?:[^\n(]*\()?([^\n)]*)/.exec(dumped['stack'])?.[1] : undefined;
    const name = typeof dumped['name'] === 'string' ? `${dumped['name']}: ` : '';
    return `${name}${dumped['message']}${at ? ` (at ${at.trim()})` : ''}`;
  }
}
