import type { ScriptManifest } from '@flowgate/contracts';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { PooledScript, quickJsModule } from './sandbox-pool';
import { ScriptCallError, ScriptLoadError, type LoadedScript, type ScriptCallContext, type ScriptHost } from './script-api';
import { SCRIPT_MAX_SOURCE_BYTES, scriptLimits, scriptManifestErrors } from './script-manifest';
import { inputJsonOf, SCRIPT_LOAD_CPU_MS, ScriptSandbox, type ScriptSpec } from './script-sandbox';
import { SLICE_WATCH_LENGTH, type CallReply, type FromWorker, type ToWorker } from './worker-protocol';

export interface ScriptEngineOptions {
  /**
   * Sandboxes one version may hold at once in each worker, one per concurrent call (each with its
   * own memory cap); further calls wait for a free one. Default 8.
   */
  readonly maxSandboxesPerScript?: number;
  /**
   * Worker threads running the sandboxes (default 2). 0 runs them on the calling thread, as
   * before the watchdog: no hard stop for a builtin overrun or a memory bomb, for benchmarks.
   */
  readonly workers?: number;
  /**
   * A worker whose WebAssembly memory has grown past this many MiB (a bomb near its cap can grow
   * it far past the cap, and it never shrinks) is replaced once its calls end, which returns the
   * memory to the system. Default 256.
   */
  readonly recycleHeapMb?: number;
}

/** The watchdog's allowance of wall time inside a call's sandbox slices: generous for a busy machine, far below "stuck". */
export function watchdogAllowanceMs(cpuMs: number): number {
  return cpuMs * 4 + 100;
}

const WATCHDOG_INTERVAL_MS = 10;

/**
 * Loads script versions into sandboxes (QuickJS compiled to WebAssembly). By default the
 * sandboxes run in a small pool of worker threads, each holding every loaded version: a call is
 * a message to the least busy worker, and a watchdog on this thread terminates a worker whose
 * call runs past its allowance (see README "Budgets and isolation").
 */
export class ScriptEngine {
  private readonly workers: SandboxWorker[] = [];
  /** Replaced workers finishing their calls before they are terminated. */
  private readonly retiring = new Set<SandboxWorker>();
  /** Every version loaded (or loading), by sandbox id: a replacement worker loads them all. */
  private readonly versions = new Map<number, { spec: ScriptSpec; allowanceMs: number }>();
  private nextSid = 1;
  private nextCallId = 1;
  private watchdog: NodeJS.Timeout | undefined;
  private closed = false;

  private constructor(private readonly options: Required<ScriptEngineOptions>) {}

  static async create(options: ScriptEngineOptions = {}): Promise<ScriptEngine> {
    const engine = new ScriptEngine({ maxSandboxesPerScript: options.maxSandboxesPerScript ?? 8, workers: options.workers ?? 2, recycleHeapMb: options.recycleHeapMb ?? 256 });
    if (engine.options.workers === 0) await quickJsModule();
    else {
      const entry = workerEntry();
      for (let i = 0; i < engine.options.workers; i++) engine.workers.push(new SandboxWorker(engine, entry));
      try {
        await Promise.all(engine.workers.map((worker) => worker.started));
      } catch (error) {
        await engine.close();
        throw error;
      }
    }
    return engine;
  }

  /**
   * A version in sandboxes, ready for calls.
   * @throws ScriptLoadError when the manifest is unsound, the source too large, does not compile, throws while loading or exports no handler.
   */
  async load(record: { name: string; version: number; source: string; manifest: ScriptManifest }): Promise<LoadedScript> {
    const label = `script ${record.name}@${record.version}`;
    const problems = scriptManifestErrors(record.manifest, record.name);
    if (problems.length > 0) throw new ScriptLoadError(`${label}: ${problems.join('; ')}`);
    if (typeof record.source !== 'string') throw new ScriptLoadError(`${label}: the source must be a string`);
    const bytes = Buffer.byteLength(record.source);
    if (bytes > SCRIPT_MAX_SOURCE_BYTES) throw new ScriptLoadError(`${label}: the source is ${bytes} bytes, over the ${SCRIPT_MAX_SOURCE_BYTES} allowed`);
    const spec: ScriptSpec = { name: record.name, version: record.version, source: record.source, manifest: record.manifest };
    if (this.options.workers === 0) {
      const module = await quickJsModule();
      return new PooledScript(spec, () => new ScriptSandbox(module, spec), this.options.maxSandboxesPerScript);
    }
    if (this.closed) throw new ScriptLoadError(`${label}: the script engine is closed`);
    const sid = this.nextSid++;
    this.versions.set(sid, { spec, allowanceMs: watchdogAllowanceMs(scriptLimits(spec.manifest).cpuMs) });
    const errors = (await Promise.all(this.workers.map((worker) => worker.load(sid, spec, this.options.maxSandboxesPerScript)))).filter((e) => e !== undefined);
    if (errors.length > 0) {
      this.unload(sid);
      throw new ScriptLoadError(errors[0]);
    }
    return new WorkerScript(this, sid, spec);
  }

  /** Terminates the worker threads; calls in flight fail. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.watchdog);
    const workers = [...this.workers.splice(0), ...this.retiring];
    this.retiring.clear();
    await Promise.all(workers.map((worker) => worker.stop(new ScriptCallError('error', 'the script engine was closed'))));
  }

  /** @internal */
  unload(sid: number): void {
    this.versions.delete(sid);
    for (const worker of this.workers) worker.post({ type: 'unload', sid });
  }

  /** @internal Sends a call to the least busy worker (a started one if any). */
  dispatch(call: PendingCall): void {
    if (this.closed) return call.reject(new ScriptCallError('error', `${call.label}: the script engine is closed`));
    let best: SandboxWorker | undefined;
    for (const worker of this.workers) {
      if (!best || (worker.ready && !best.ready) || (worker.ready === best.ready && worker.busy < best.busy)) best = worker;
    }
    best!.send(call);
    this.watchdog ??= setInterval(() => this.watch(), WATCHDOG_INTERVAL_MS).unref();
  }

  /** @internal */
  newCallId(): number {
    return this.nextCallId++;
  }

  /** @internal A worker died or was terminated: replace it, reload the versions, and retry the calls it held that were not at fault. */
  replace(dead: SandboxWorker, calls: PendingCall[], retry = false): void {
    this.retiring.delete(dead);
    if (this.closed) {
      for (const call of calls) call.reject(new ScriptCallError('error', `${call.label}: the script engine is closed`));
      return;
    }
    if (this.workers.includes(dead)) {
      if (!dead.ready && !retry) {
        // It never started (a broken entry file?): try again later, not in a tight loop.
        setTimeout(() => this.replace(dead, calls, true), 1_000).unref();
        return;
      }
      this.respawn(dead);
    }
    for (const call of calls) {
      if (call.attempts >= 2) call.reject(new ScriptCallError('error', `${call.label}: its sandbox worker was stopped twice while the call ran (by other calls)`));
      else this.dispatch(call);
    }
  }

  /** @internal A worker's WebAssembly memory grew past recycleHeapMb: a fresh one takes its place, it ends once its calls have. */
  heapGrown(worker: SandboxWorker, heapBytes: number): void {
    if (this.closed || heapBytes <= this.options.recycleHeapMb * 1024 * 1024 || !this.workers.includes(worker)) return;
    this.respawn(worker);
    this.retiring.add(worker);
    worker.retire();
  }

  /** @internal */
  retired(worker: SandboxWorker): void {
    this.retiring.delete(worker);
  }

  private respawn(old: SandboxWorker): void {
    const fresh = new SandboxWorker(this, old.entry);
    this.workers[this.workers.indexOf(old)] = fresh;
    for (const [sid, { spec }] of this.versions) void fresh.load(sid, spec, this.options.maxSandboxesPerScript);
  }

  /** @internal */
  allowanceMs(tag: number, calls: Map<number, PendingCall>): number {
    if (tag < 0) return watchdogAllowanceMs(SCRIPT_LOAD_CPU_MS);
    return calls.get(tag)?.allowanceMs ?? Infinity;
  }

  private watch(): void {
    let busy = false;
    for (const worker of [...this.workers, ...this.retiring]) busy = worker.check() || busy;
    if (!busy) {
      clearInterval(this.watchdog);
      this.watchdog = undefined;
    }
  }
}

/** A call on its way through a worker. */
interface PendingCall {
  readonly label: string;
  readonly sid: number;
  readonly cpuMs: number;
  readonly allowanceMs: number;
  readonly message: Extract<ToWorker, { type: 'call' }>;
  readonly host: ScriptHost;
  attempts: number;
  readonly resolve: (reply: CallReply) => void;
  readonly reject: (error: ScriptCallError) => void;
}

/** One worker thread and what it holds: pending loads and calls, and the shared slice watch the watchdog reads. */
class SandboxWorker {
  readonly started: Promise<void>;
  ready = false;
  /** Replaced (see ScriptEngine.heapGrown): takes no new calls, terminated once its calls end. */
  private retiring = false;
  private readonly worker: Worker;
  private readonly watch: Float64Array;
  private readonly calls = new Map<number, PendingCall>();
  private readonly loads = new Map<number, (error: string | undefined) => void>();
  private dead = false;

  constructor(
    private readonly engine: ScriptEngine,
    readonly entry: string,
  ) {
    const shared = new SharedArrayBuffer(SLICE_WATCH_LENGTH * Float64Array.BYTES_PER_ELEMENT);
    this.watch = new Float64Array(shared);
    this.worker = new Worker(entry, { workerData: { watch: shared } });
    this.started = new Promise((resolve, reject) => {
      this.worker.on('message', (message: FromWorker) => {
        if (message.type === 'ready') {
          this.ready = true;
          this.refresh();
          resolve();
        } else this.receive(message);
      });
      this.worker.on('error', (error) => reject(error));
      this.worker.on('exit', (code) => {
        reject(new Error(`the sandbox worker exited (code ${code}) before it started`));
        this.died(undefined, `exited with code ${code}`);
      });
    });
    this.started.catch(() => undefined); // create() reports it; a worker stopped later is no one's error
  }

  get busy(): number {
    return this.calls.size + this.loads.size;
  }

  post(message: ToWorker): void {
    if (!this.dead) this.worker.postMessage(message);
  }

  load(sid: number, spec: ScriptSpec, maxSandboxes: number): Promise<string | undefined> {
    if (this.dead) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      this.loads.set(sid, resolve);
      this.refresh();
      this.post({ type: 'load', sid, spec, maxSandboxes });
    });
  }

  send(call: PendingCall): void {
    call.attempts++;
    this.calls.set(call.message.callId, call);
    this.refresh();
    this.post(call.message);
  }

  /** The watchdog's look: terminates the worker when the slice it runs is over its allowance. Returns whether it is busy. */
  check(): boolean {
    if (this.dead) return false;
    const start = this.watch[1];
    if (start !== 0) {
      const tag = this.watch[0];
      const usedMs = this.watch[2] + (Date.now() - start);
      if (usedMs > this.engine.allowanceMs(tag, this.calls)) this.died(tag, `stopped by the watchdog after ${Math.round(usedMs)} ms in one call`);
    }
    return this.busy > 0;
  }

  async stop(error: ScriptCallError): Promise<void> {
    this.dead = true;
    for (const call of this.calls.values()) call.reject(error);
    this.calls.clear();
    for (const resolve of this.loads.values()) resolve(error.message);
    this.loads.clear();
    await this.worker.terminate();
  }

  private receive(message: FromWorker): void {
    if (this.dead) return;
    switch (message.type) {
      case 'loaded':
        this.loads.get(message.sid)?.(message.error);
        this.loads.delete(message.sid);
        break;
      case 'done': {
        const call = this.calls.get(message.callId);
        this.calls.delete(message.callId);
        call?.resolve(message);
        if (message.heapBytes !== undefined) this.engine.heapGrown(this, message.heapBytes);
        if (this.retiring && this.busy === 0) this.end();
        break;
      }
      case 'op': {
        const call = this.calls.get(message.callId);
        if (call) void this.op(call, message);
        break;
      }
    }
    this.refresh();
  }

  private async op(call: PendingCall, message: Extract<FromWorker, { type: 'op' }>): Promise<void> {
    const { host } = call;
    const [first, second, third] = message.args;
    let reply: Extract<ToWorker, { type: 'op-done' }>;
    try {
      const value =
        message.op === 'kv.get' ? await host.kv!.get(first as string)
        : message.op === 'kv.set' ? await host.kv!.set(first as string, second as string, (third as number | null) ?? undefined)
        : message.op === 'kv.delete' ? await host.kv!.delete(first as string)
        : await host.http!(first as Parameters<NonNullable<ScriptHost['http']>>[0]);
      reply = { type: 'op-done', callId: message.callId, opId: message.opId, ok: true, value };
    } catch (error) {
      reply = { type: 'op-done', callId: message.callId, opId: message.opId, ok: false, message: error instanceof Error ? error.message : String(error) };
    }
    if (this.calls.get(message.callId) === call) this.post(reply);
  }

  /**
   * Terminates the worker (its WebAssembly memory goes with it). The call whose slice ran over
   * (`tag`) fails with `budget`, a load that did fails; the others go to a fresh worker.
   */
  private died(tag: number | undefined, why: string): void {
    if (this.dead) return;
    this.dead = true;
    void this.worker.terminate();
    const calls = [...this.calls.values()];
    this.calls.clear();
    const retried: PendingCall[] = [];
    for (const call of calls) {
      if (call.message.callId === tag) call.reject(new ScriptCallError('budget', `${call.label} used more than its ${call.cpuMs} ms of CPU (its worker was ${why})`));
      else retried.push(call);
    }
    for (const [sid, resolve] of this.loads) resolve(tag === -sid ? `script version ${sid} used more than ${SCRIPT_LOAD_CPU_MS} ms of CPU while loading (its worker was ${why})` : undefined);
    this.loads.clear();
    this.engine.replace(this, retried);
  }

  retire(): void {
    this.retiring = true;
    if (this.busy === 0) this.end();
  }

  /** Terminates a retired worker, its calls all ended: its memory goes back to the system. */
  private end(): void {
    this.dead = true;
    this.engine.retired(this);
    void this.worker.terminate();
  }

  /** A worker with work keeps the process alive; an idle one does not. */
  private refresh(): void {
    if (this.dead) return;
    if (this.busy > 0 || !this.ready) this.worker.ref();
    else this.worker.unref();
  }
}

/** A version loaded into every worker. */
class WorkerScript implements LoadedScript {
  readonly name: string;
  readonly version: number;
  readonly manifest: ScriptManifest;
  private readonly label: string;
  private readonly cpuMs: number;
  private readonly stores: readonly string[];
  private running = 0;
  private disposed = false;
  private drained: (() => void) | undefined;

  constructor(
    private readonly engine: ScriptEngine,
    private readonly sid: number,
    spec: ScriptSpec,
  ) {
    this.name = spec.name;
    this.version = spec.version;
    this.manifest = spec.manifest;
    this.label = `script ${spec.name}@${spec.version}`;
    this.cpuMs = scriptLimits(spec.manifest).cpuMs;
    this.stores = spec.manifest.capabilities?.state?.stores ?? [];
  }

  async call(input: unknown, ctx: ScriptCallContext, host: ScriptHost): Promise<unknown> {
    if (this.disposed) throw new ScriptCallError('error', `${this.label} is unloaded`);
    this.running++;
    try {
      const state: Record<string, unknown> = {};
      if (host.state) {
        for (const store of this.stores) {
          const value = host.state.get(store);
          if (value !== undefined) state[store] = value;
        }
      }
      const message: Extract<ToWorker, { type: 'call' }> = {
        type: 'call',
        callId: this.engine.newCallId(),
        sid: this.sid,
        input: inputJsonOf(this.label, input),
        ctx,
        has: { kv: host.kv !== undefined, state: host.state !== undefined, emit: host.emit !== undefined, log: host.log !== undefined, http: host.http !== undefined },
        state,
        nowOffset: host.now ? host.now() - Date.now() : undefined,
      };
      const reply = await new Promise<CallReply>((resolve, reject) =>
        this.engine.dispatch({ label: this.label, sid: this.sid, cpuMs: this.cpuMs, allowanceMs: watchdogAllowanceMs(this.cpuMs), message, host, attempts: 0, resolve, reject }),
      );
      for (const line of reply.logs) host.log?.(line.level, line.message, line.fields);
      if (reply.error) throw new ScriptCallError(reply.error.reason, reply.error.message, reply.error.code, reply.error.status);
      for (const write of reply.writes) {
        if (write.op === 'put') host.state!.put(write.store, write.value);
        else host.state!.delete(write.store);
      }
      for (const { topic, key, value } of reply.emits) host.emit!(topic, key, value);
      return reply.value;
    } catch (error) {
      if (error instanceof ScriptCallError) throw error;
      throw new ScriptCallError('error', `${this.label}: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      if (--this.running === 0) this.drained?.();
    }
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    if (this.running > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    this.engine.unload(this.sid);
  }
}

let builtEntry: string | undefined;

/**
 * The worker's entry file: FLOWGATE_SCRIPT_WORKER if set; else script-worker.js beside this code
 * (the app bundles: tools/build/bundle.mjs writes it next to main.js); else, when this code runs
 * from its TypeScript sources (Jest), sandbox-worker.ts bundled once per process with esbuild
 * into the workspace's dist/script-worker/ (where node_modules resolve).
 */
function workerEntry(): string {
  const configured = process.env['FLOWGATE_SCRIPT_WORKER'];
  if (configured) return configured;
  const beside = join(__dirname, 'script-worker.js');
  if (existsSync(beside)) return beside;
  const source = join(__dirname, 'sandbox-worker.ts');
  if (!existsSync(source)) throw new Error(`no sandbox worker: neither ${beside} (bundle the app with tools/build/bundle.mjs) nor FLOWGATE_SCRIPT_WORKER`);
  if (builtEntry) return builtEntry;
  let root = __dirname;
  while (!existsSync(join(root, 'tsconfig.base.json'))) {
    if (dirname(root) === root) throw new Error(`no workspace root above ${__dirname}`);
    root = dirname(root);
  }
  const require = createRequire(__filename);
  const tsconfig = require(join(root, 'tsconfig.base.json')) as { compilerOptions: { paths: Record<string, string[]> } };
  const alias = Object.fromEntries(Object.entries(tsconfig.compilerOptions.paths).map(([name, [path]]) => [name, join(root, path)]));
  const outDir = join(root, 'dist/script-worker');
  const esbuild = require('esbuild') as typeof import('esbuild');
  const built = esbuild.buildSync({ entryPoints: [source], outfile: join(outDir, 'script-worker.js'), bundle: true, platform: 'node', target: 'node20', format: 'cjs', packages: 'external', alias, logLevel: 'warning', write: false });
  const code = built.outputFiles[0].contents;
  // Named by content: parallel Jest workers share one file per version of the sources.
  const outfile = join(outDir, `script-worker-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.js`);
  if (!existsSync(outfile)) {
    mkdirSync(outDir, { recursive: true });
    writeFileSync(`${outfile}.${process.pid}`, code);
    renameSync(`${outfile}.${process.pid}`, outfile);
  }
  builtEntry = outfile;
  return outfile;
}
