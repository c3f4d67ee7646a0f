import type { ScriptManifest } from '@flowgate/contracts';
import { createRequire } from 'node:module';
import { newQuickJSWASMModuleFromVariant, RELEASE_SYNC, type QuickJSSyncVariant, type QuickJSWASMModule } from 'quickjs-emscripten';
import { inMemoryScriptHost } from './in-memory-host';
import { ScriptCallError, ScriptLoadError, type LoadedScript, type ScriptCallContext, type ScriptHost } from './script-api';
import { inputJsonOf, SCRIPT_LOAD_CPU_MS, ScriptSandbox, type ScriptSpec } from './script-sandbox';

// The variant loads its Emscripten glue with import(), which Jest's CommonJS runtime refuses;
// require() finds the same file (the package's "require" export) in Node, Jest and the bundles.
const RELEASE_SYNC_REQUIRED: QuickJSSyncVariant = {
  ...RELEASE_SYNC,
  importModuleLoader: async () => {
    const loaded = createRequire(__filename)('@jitl/quickjs-wasmfile-release-sync/emscripten-module');
    return loaded.default ?? loaded;
  },
};

let wasmModule: Promise<QuickJSWASMModule> | undefined;

/** QuickJS compiled to WebAssembly (quickjs-emscripten's release build), instantiated and warmed once per thread. */
export function quickJsModule(): Promise<QuickJSWASMModule> {
  wasmModule ??= newQuickJSWASMModuleFromVariant(RELEASE_SYNC_REQUIRED).then(async (module) => (await warmUp(module), module));
  wasmModule.catch(() => (wasmModule = undefined)); // the next call tries again
  return wasmModule;
}

/** The size of the module's WebAssembly memory (all its sandboxes'), bytes; it grows and never shrinks. */
export function wasmHeapBytes(module: QuickJSWASMModule): number {
  // Emscripten's module object, a protected field of quickjs-emscripten's: read only for this figure.
  return (module as unknown as { module?: { HEAPU8?: Uint8Array } }).module?.HEAPU8?.byteLength ?? 0;
}

/**
 * V8 compiles WebAssembly and the glue lazily, on first use: a fresh thread spends 50–200 ms in
 * its first calls through the interpreter, promises and capabilities, and that time would count
 * against the first script's CPU budget (a canary failing on its first record). So the engine runs
 * the common paths once before anyone's budget is on the clock.
 */
async function warmUp(module: QuickJSWASMModule): Promise<void> {
  const source = `export default async (input, ctx) => {
    const table = JSON.parse(await flowgate.kv.get('table'));
    const text = [3, 1, 2].sort((a, b) => a - b).map((x) => x * 2).filter(Boolean).join(',');
    const found = /a(b+)/.exec('abbb' + ctx.id);
    if (input.fail) throw new RouteError('warm-up', 'refused', 400);
    if (input.throw) throw new TypeError('warm-up');
    if (input.spin) for (;;) {}  // with the tiny budget below: the interrupt path
    return { table, n: text.split(',').length, found: found && found[1], at: new Date(flowgate.now()).toISOString(), m: Math.max(...table.flat()), s: String(input.i).padStart(3, '0') };
  }`;
  const host = inMemoryScriptHost({ kv: { table: '[[1,2],[3,4]]' } });
  const ctx = { id: 'warm-up', timestamp: 0, deadline: Infinity };
  for (const [cpuMs, inputs] of [
    [SCRIPT_LOAD_CPU_MS, [{ i: 1 }, { i: 2 }, { i: 3 }, { fail: true }, { throw: true }, { i: 4 }]],
    [1, [{ spin: true }]],
  ] as const) {
    const spec: ScriptSpec = { name: 'warm-up', version: 1, source, manifest: { kind: 'step', capabilities: { kv: {} }, limits: { cpuMs } } };
    const script = new PooledScript(spec, () => new ScriptSandbox(module, spec), 1);
    for (const input of inputs) await script.call(input, ctx, host).catch(() => undefined);
    await script.dispose();
  }
}

/** A loaded version: a pool of sandboxes of it, one per concurrent call, replaced after a budget or memory failure. */
export class PooledScript implements LoadedScript {
  readonly name: string;
  readonly version: number;
  readonly manifest: ScriptManifest;
  private readonly idle: ScriptSandbox[] = [];
  private readonly waiting: Array<{ resolve: (sandbox: ScriptSandbox) => void; reject: (error: unknown) => void }> = [];
  private size = 0;
  private running = 0;
  private disposed = false;
  private drained: (() => void) | undefined;

  constructor(
    spec: ScriptSpec,
    private readonly create: () => ScriptSandbox,
    private readonly maxSandboxes: number,
  ) {
    this.name = spec.name;
    this.version = spec.version;
    this.manifest = spec.manifest;
    // Load errors surface here, at load time, not on the first call.
    this.idle.push(create());
    this.size = 1;
  }

  call(input: unknown, ctx: ScriptCallContext, host: ScriptHost): Promise<unknown> {
    let inputJson: string;
    try {
      inputJson = inputJsonOf(`script ${this.name}@${this.version}`, input);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.callJson(inputJson, ctx, host);
  }

  /** A call whose input is already JSON text; `tag` names it to a worker's watchdog (see watchSlices). */
  async callJson(inputJson: string, ctx: ScriptCallContext, host: ScriptHost, tag = 0): Promise<unknown> {
    if (this.disposed) throw new ScriptCallError('error', `script ${this.name}@${this.version} is unloaded`);
    this.running++;
    try {
      const sandbox = await this.acquire();
      try {
        return await sandbox.run(inputJson, ctx, host, tag);
      } finally {
        this.release(sandbox);
      }
    } finally {
      if (--this.running === 0) this.drained?.();
    }
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    if (this.running > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    for (const sandbox of this.idle.splice(0)) sandbox.dispose();
    this.size = 0;
  }

  private acquire(): Promise<ScriptSandbox> {
    const sandbox = this.idle.pop();
    if (sandbox) return Promise.resolve(sandbox);
    if (this.size < this.maxSandboxes) {
      this.size++;
      return this.fresh();
    }
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  private fresh(): Promise<ScriptSandbox> {
    try {
      return Promise.resolve(this.create());
    } catch (error) {
      this.size--;
      // It loaded once; a version that fails to load again (say its top-level code reads the clock) fails the call.
      return Promise.reject(new ScriptCallError('error', error instanceof ScriptLoadError ? error.message : `script ${this.name}@${this.version}: ${String(error)}`));
    }
  }

  private release(sandbox: ScriptSandbox): void {
    if (this.disposed) {
      sandbox.dispose();
      this.size--;
      for (const next of this.waiting.splice(0)) next.reject(new ScriptCallError('error', `script ${this.name}@${this.version} is unloaded`));
      return;
    }
    if (sandbox.broken) {
      sandbox.dispose();
      this.size--;
      const next = this.waiting.shift();
      if (next) {
        this.size++;
        this.fresh().then(next.resolve, next.reject);
      }
      return;
    }
    const next = this.waiting.shift();
    if (next) next.resolve(sandbox);
    else this.idle.push(sandbox);
  }
}
