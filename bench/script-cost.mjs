// What running a business rule as a hot-swapped script costs, side by side in one process and one
// run: the same geofence rule (point in a 24-vertex polygon, seed 003's example) as
//   native          a plain JS function, called directly
//   script          the rule as a flowgate script (libs/scripts: QuickJS/WASM sandbox, input,
//                   context and result crossing as JSON, CPU budget armed)
//   native + kv     the polygon read from an in-memory KV (async), parsed, then the rule
//   script + kv     the same through flowgate.kv.get in the sandbox (a QuickJS promise settled
//                   from the host)
//   isolated-vm     (only with BENCH_IVM_DIR=<dir with node_modules/isolated-vm>) the rule in a V8
//                   isolate, JSON in and out, per-call timeout armed; not a project dependency
// Calls are sequential (each awaited); rounds interleave the variants, the order rotating, and
// the figures are medians over the rounds. Ratios are against `native` measured in the same run.
//
//   node --expose-gc bench/script-cost.mjs      (BENCH_SCRIPT_ROUNDS=7, BENCH_SCRIPT_CALLS=20000)
//   BENCH_IVM_DIR=/tmp/ivm node --expose-gc --no-node-snapshot bench/script-cost.mjs
//
// Writes bench/results/scripts.{md,json}. The lib is bundled with esbuild into dist/bench first
// (the libs are TypeScript; dist/ keeps node_modules resolvable from the bundle).
import { build } from 'esbuild';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';

const root = resolve(import.meta.dirname, '..');
const rounds = Number(process.env.BENCH_SCRIPT_ROUNDS ?? 7);
const calls = Number(process.env.BENCH_SCRIPT_CALLS ?? 20_000);

/** The rule, as source text: the script's module and the native function are built from the same text. */
const RULE = `
function inside(point, polygon) {
  let hit = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i];
    const [xj, yj] = polygon[j];
    if ((yi > point.lat) !== (yj > point.lat) && point.lon < ((xj - xi) * (point.lat - yi)) / (yj - yi) + xi) hit = !hit;
  }
  return hit;
}
function decide(point, polygon, fence) {
  const hit = inside(point, polygon);
  return hit ? { alarm: point.speed > 30, fence, inside: true } : { alarm: false, fence, inside: false };
}`;

/** A 24-vertex star around Hangzhou, in [lon, lat]. */
const POLYGON = Array.from({ length: 24 }, (_, i) => {
  const angle = (i / 24) * 2 * Math.PI;
  const r = i % 2 === 0 ? 0.1 : 0.05;
  return [120.15 + r * Math.cos(angle), 30.27 + r * Math.sin(angle)];
});
const POINTS = Array.from({ length: 1024 }, (_, i) => ({ lat: 30.27 + (((i * 7919) % 200) - 100) / 1000, lon: 120.15 + (((i * 104729) % 200) - 100) / 1000, speed: i % 60 }));

async function loadLib() {
  const outfile = join(root, 'dist/bench/scripts.cjs');
  mkdirSync(join(root, 'dist/bench'), { recursive: true });
  const tsconfig = JSON.parse(readFileSync(join(root, 'tsconfig.base.json'), 'utf8'));
  const alias = Object.fromEntries(Object.entries(tsconfig.compilerOptions.paths).map(([name, [path]]) => [name, join(root, path)]));
  const options = { bundle: true, platform: 'node', format: 'cjs', target: 'node20', packages: 'external', alias, logLevel: 'warning' };
  await build({ entryPoints: [join(root, 'libs/scripts/src/index.ts')], outfile, ...options });
  // The sandboxes' worker threads start from script-worker.js beside the bundle (as beside an app's main.js).
  await build({ entryPoints: [join(root, 'libs/scripts/src/sandbox-worker.ts')], outfile: join(root, 'dist/bench/script-worker.js'), ...options });
  return createRequire(import.meta.url)(outfile);
}

async function variants(lib) {
  const engine = await lib.ScriptEngine.create({ workers: 0 });
  const workerEngine = await lib.ScriptEngine.create();
  const native = new Function(`${RULE}; const POLYGON = ${JSON.stringify(POLYGON)}; return (input) => decide(input, POLYGON, 'hz-1');`)();
  const nativeKv = new Function(`${RULE}; return async (input, kv) => { const polygon = JSON.parse(await kv.get('fence:hz-1')); return decide(input, polygon, 'hz-1'); };`)();
  const manifest = { kind: 'step', examples: [{ input: POINTS[0], output: native(POINTS[0]) }] };
  const loadBoth = async (on) => [
    await on.load({ name: 'geofence', version: 1, source: `${RULE}\nconst POLYGON = ${JSON.stringify(POLYGON)};\nexport default (input) => decide(input, POLYGON, 'hz-1');`, manifest }),
    await on.load({
      name: 'geofence-kv',
      version: 1,
      source: `${RULE}\nexport default async (input) => decide(input, JSON.parse(await flowgate.kv.get('fence:hz-1')), 'hz-1');`,
      manifest: { kind: 'step', capabilities: { kv: {} } },
    }),
  ];
  const [script, scriptKv] = await loadBoth(engine);
  const [scriptW, scriptKvW] = await loadBoth(workerEngine);
  const host = lib.inMemoryScriptHost({ kv: { 'fence:hz-1': JSON.stringify(POLYGON) } });
  const ctx = { id: 'bench', key: 'truck-1', timestamp: 0, deadline: Infinity };
  const list = [
    { key: 'native', label: 'native JS function', call: async (p) => native(p) },
    { key: 'script', label: 'flowgate script (QuickJS/WASM) on the calling thread', call: (p) => script.call(p, ctx, host) },
    { key: 'scriptWorker', label: 'flowgate script in a worker thread (the default)', call: (p) => scriptW.call(p, ctx, host) },
    { key: 'nativeKv', label: 'native + one kv.get', call: (p) => nativeKv(p, host.kv) },
    { key: 'scriptKv', label: 'flowgate script + one flowgate.kv.get, calling thread', call: (p) => scriptKv.call(p, ctx, host) },
    { key: 'scriptKvWorker', label: 'flowgate script + one flowgate.kv.get, worker thread', call: (p) => scriptKvW.call(p, ctx, host) },
  ];
  const ivm = process.env.BENCH_IVM_DIR ? await isolatedVm(process.env.BENCH_IVM_DIR) : undefined;
  if (ivm) list.push(ivm.variant);
  for (const v of list) {
    const a = JSON.stringify(await v.call(POINTS[5]));
    const b = JSON.stringify(native(POINTS[5]));
    if (a !== b) throw new Error(`${v.key} answers ${a}, native ${b}`);
  }
  return { list, dispose: async () => (await script.dispose(), await scriptKv.dispose(), await workerEngine.close(), ivm?.dispose()) };
}

/** The same rule in an isolated-vm isolate (memory limit 32 MiB, per-call timeout 50 ms), JSON in and out. */
async function isolatedVm(dir) {
  const ivm = createRequire(join(resolve(dir), 'package.json'))('isolated-vm');
  const isolate = new ivm.Isolate({ memoryLimit: 32 });
  const context = await isolate.createContext();
  const fn = await context.eval(`${RULE}; const POLYGON = ${JSON.stringify(POLYGON)}; (json) => JSON.stringify(decide(JSON.parse(json), POLYGON, 'hz-1'))`, { reference: true });
  return {
    variant: { key: 'ivm', label: `isolated-vm ${createRequire(join(resolve(dir), 'package.json'))('isolated-vm/package.json').version} (V8 isolate)`, call: async (p) => JSON.parse(fn.applySync(undefined, [JSON.stringify(p)], { timeout: 50 })) },
    dispose: () => isolate.dispose(),
  };
}

async function time(call) {
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) await call(POINTS[i & 1023]);
  return ((performance.now() - t0) * 1000) / calls;
}

/**
 * What a sandbox costs to create and hold, and how long a 50 ms CPU budget takes to stop a loop
 * whose every step is a heavy builtin (Array.prototype.indexOf over a million elements): QuickJS
 * polls its interrupt handler only between bytecodes (flowgate's prelude guards the common
 * builtins), V8 (isolated-vm's timeout) anywhere.
 */
async function sandboxCosts(lib) {
  const count = 20;
  const gc = globalThis.gc ?? (() => undefined);
  const measure = async (create) => {
    gc();
    const rss0 = process.memoryUsage().rss;
    const t0 = performance.now();
    const held = [];
    for (let i = 0; i < count; i++) held.push(await create(i));
    const ms = (performance.now() - t0) / count;
    gc();
    return { held, msEach: ms, mibEach: (process.memoryUsage().rss - rss0) / count / 1024 / 1024 };
  };
  const engine = await lib.ScriptEngine.create({ workers: 0 });
  const source = `${RULE}\nconst POLYGON = ${JSON.stringify(POLYGON)};\nexport default (input) => decide(input, POLYGON, 'hz-1');`;
  const quick = await measure((i) => engine.load({ name: 'geofence', version: i + 1, source, manifest: { kind: 'step' } }));
  await Promise.all(quick.held.map((s) => s.dispose()));
  const spin = `const b = new Array(1e6).fill(1); for (let i = 0; i < 60; i++) b.indexOf(2); return 'done'`;
  const looping = await engine.load({ name: 'builtin-loop', version: 1, source: `export default () => { ${spin} }`, manifest: { kind: 'step', limits: { cpuMs: 50, memoryMb: 64 } } });
  let t0 = performance.now();
  const quickOutcome = await looping.call(null, { id: 'x', timestamp: 0, deadline: Infinity }, {}).then(() => 'finished', (e) => e.reason);
  const quickCutMs = performance.now() - t0;
  await looping.dispose();
  // RSS says little for QuickJS: its sandboxes live in one WebAssembly memory that grows and is
  // reused, never returned. Its allocator's count (memory_used_size) for one runtime holding the rule is the figure.
  const { newQuickJSWASMModule, RELEASE_SYNC } = createRequire(import.meta.url)('quickjs-emscripten');
  const module = await newQuickJSWASMModule(RELEASE_SYNC);
  const runtime = module.newRuntime();
  const context = runtime.newContext();
  context.unwrapResult(context.evalCode(source, 'geofence.js', { type: 'module' })).dispose();
  const usage = runtime.computeMemoryUsage().consume((handle) => context.dump(handle));
  context.dispose();
  runtime.dispose();
  const result = { count, quickjs: { msEach: quick.msEach, mibEach: usage.memory_used_size / 1024 / 1024, builtinLoop: { outcome: quickOutcome, ms: quickCutMs } } };
  if (process.env.BENCH_IVM_DIR) {
    const ivm = createRequire(join(resolve(process.env.BENCH_IVM_DIR), 'package.json'))('isolated-vm');
    const iso = await measure(async () => {
      const isolate = new ivm.Isolate({ memoryLimit: 32 });
      const context = await isolate.createContext();
      await context.eval(`${RULE}; const POLYGON = ${JSON.stringify(POLYGON)}; (json) => JSON.stringify(decide(JSON.parse(json), POLYGON, 'hz-1'))`, { reference: true });
      return isolate;
    });
    iso.held.forEach((isolate) => isolate.dispose());
    const isolate = new ivm.Isolate({ memoryLimit: 64 });
    const context = await isolate.createContext();
    t0 = performance.now();
    const ivmOutcome = await context.eval(`(() => { ${spin} })()`, { timeout: 50 }).then(() => 'finished', (e) => e.message);
    const ivmCutMs = performance.now() - t0;
    isolate.dispose();
    result.ivm = { msEach: iso.msEach, mibEach: iso.mibEach, builtinLoop: { outcome: ivmOutcome, ms: ivmCutMs } };
  }
  return result;
}

/**
 * Abusive calls, on the calling thread and in a worker thread: how long until each is cut, the
 * calling thread's longest stall meanwhile (gaps between 5 ms timer ticks), and the process's RSS
 * after it (after a GC) against before. Worker first: on the calling thread the WebAssembly
 * memory grows and never shrinks, so its figures would carry over.
 */
async function abuseCosts(lib) {
  const gc = globalThis.gc ?? (() => undefined);
  const ctx = { id: 'abuse', timestamp: 0, deadline: Infinity };
  const abusers = [
    { key: 'loop', label: 'infinite loop, 100 ms budget', body: 'for (;;) {}', limits: { cpuMs: 100 } },
    { key: 'sort', label: 'one sort of 2e6 numbers (one builtin call), 300 ms budget', body: 'const a = new Array(2e6).fill(0.1); a.sort()', limits: { cpuMs: 300, memoryMb: 128 } },
    { key: 'bomb', label: "string bomb `a.push('x'.repeat(1e6))`, 16 MiB, 100 ms budget", body: "const a = []; for (;;) a.push('x'.repeat(1e6))", limits: { cpuMs: 100, memoryMb: 16 } },
    { key: 'bombSlow', label: 'the same bomb, 16 MiB, 2000 ms budget (grows the WebAssembly memory by hundreds of MiB)', body: "const a = []; for (;;) a.push('x'.repeat(1e6))", limits: { cpuMs: 2000, memoryMb: 16 } },
  ];
  const rows = [];
  for (const [where, workers] of [['worker thread', 2], ['calling thread', 0]]) {
    const engine = await lib.ScriptEngine.create({ workers });
    for (const a of abusers) {
      const script = await engine.load({ name: a.key, version: 1, source: `export default () => { ${a.body} }`, manifest: { kind: 'step', limits: a.limits } });
      gc();
      const rss0 = process.memoryUsage().rss;
      let last = performance.now();
      let maxGapMs = 0;
      const timer = setInterval(() => {
        const now = performance.now();
        maxGapMs = Math.max(maxGapMs, now - last);
        last = now;
      }, 5);
      const t0 = performance.now();
      const outcome = await script.call(null, ctx, {}).then(() => 'finished', (e) => `${e.reason}${/watchdog/.test(e.message) ? ' (watchdog)' : ''}`);
      const ms = performance.now() - t0;
      maxGapMs = Math.max(maxGapMs, performance.now() - last);
      clearInterval(timer);
      await new Promise((resolve) => setTimeout(resolve, 200)); // a terminated worker's memory is freed as it exits
      gc();
      const rss1 = process.memoryUsage().rss;
      await script.dispose();
      rows.push({ where, key: a.key, label: a.label, outcome, ms, maxGapMs, rssBeforeMiB: rss0 / 2 ** 20, rssAfterMiB: rss1 / 2 ** 20 });
      console.log(`${where}: ${a.key} ${outcome} after ${ms.toFixed(0)} ms, longest stall ${maxGapMs.toFixed(0)} ms, RSS ${(rss0 / 2 ** 20).toFixed(0)} -> ${(rss1 / 2 ** 20).toFixed(0)} MiB`);
    }
    await engine.close();
  }
  return rows;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

export async function compareScripts() {
  const lib = await loadLib();
  const { list, dispose } = await variants(lib);
  for (const v of list) await time(v.call); // warm-up
  const samples = Object.fromEntries(list.map((v) => [v.key, []]));
  for (let round = 0; round < rounds; round++) {
    const order = list.map((_, i) => list[(i + round) % list.length]);
    for (const v of order) samples[v.key].push(await time(v.call));
    console.log(`round ${round + 1}: ${list.map((v) => `${v.key} ${samples[v.key].at(-1).toFixed(2)} µs`).join(', ')}`);
  }
  await dispose();
  const sandboxes = await sandboxCosts(lib);
  const abuse = process.env.BENCH_SCRIPT_ABUSE === '0' ? [] : await abuseCosts(lib);
  const us = Object.fromEntries(list.map((v) => [v.key, median(samples[v.key])]));
  return {
    rounds,
    calls,
    rows: list.map((v) => ({ key: v.key, label: v.label, usPerCall: us[v.key], callsPerSecond: 1e6 / us[v.key], samples: samples[v.key] })),
    sandboxes,
    abuse,
    ratios: {
      script: us.script / us.native,
      scriptKv: us.scriptKv / us.nativeKv,
      scriptWorker: us.scriptWorker / us.native,
      scriptKvWorker: us.scriptKvWorker / us.nativeKv,
      ...(us.ivm ? { ivm: us.ivm / us.native, scriptVsIvm: us.script / us.ivm } : {}),
    },
  };
}

/** How isolated-vm was measured and what it would cost the project; the figures above are from the same run. */
const IVM_NOTES = [
  '### isolated-vm: how it was measured, and its caveats',
  '',
  '- Installed outside the project: `mkdir /tmp/ivm && cd /tmp/ivm && npm init -y && npm i isolated-vm`. On Node 24, 7.0.1 (engines: Node >= 24) carries prebuilt binaries inside its npm package (linux-x64 and arm64, glibc and musl) and installs in about 2 s. On Node 20 the last that ran, 5.0.4, had no binary for it here (prebuild-install fetches from GitHub), so npm built it with node-gyp: about 7 minutes on these 2 CPUs, with python, make and g++ in every image. Either way npm must build against the running Node\'s headers: this machine\'s npmrc sets nodedir=/usr (Node 20\'s), which `npm_config_nodedir` overrides.',
  '- Its README: on Node 20 and later it must run with `node --no-node-snapshot` (flowgate\'s apps would need the flag in every start script, image and Helm chart); the project is in *maintenance mode*; `memoryLimit` is "more of a guideline" (a determined script can use 2-3x) and at least 8 MB.',
  '- Faster per call (V8 JIT vs an interpreter), and its timeout stops anything from a watchdog thread. QuickJS polls its interrupt handler only between bytecodes, never inside a builtin; flowgate\'s prelude makes the common builtins (array scans and sorts, string searches, JSON) ask for the budget before a large call, which is what cuts the loop in the table above. One builtin call still runs to its end (bounded by the memory cap), other builtins are unguarded, and a bomb that drives QuickJS into repeated failing allocations can spend seconds before its memory failure: a worker thread that a watchdog terminates would close that.',
  '',
];

export function scriptsMarkdown(result, footer) {
  const row = (key) => result.rows.find((r) => r.key === key);
  return [
    '## What a script call costs',
    '',
    `The same geofence rule (point in a 24-vertex polygon, then an alarm decision) called ${result.calls} times in a row per variant and round, ${result.rounds} rounds, the variants' order rotating; medians. \`script\` includes everything a processor pays per record: input and context to JSON, into the QuickJS sandbox, the handler, the result back as JSON, the CPU budget armed.`,
    '',
    '| variant | µs per call (median) | calls/s | rounds (µs) |',
    '|---|---|---|---|',
    ...result.rows.map((r) => `| ${r.label} | ${r.usPerCall.toFixed(2)} | ${Math.round(r.callsPerSecond).toLocaleString('en')} | ${r.samples.map((s) => s.toFixed(2)).join(', ')} |`),
    '',
    `Script ÷ native: ${result.ratios.script.toFixed(1)}× the time per call (native has ${result.ratios.script.toFixed(1)}× the throughput); with one kv read each, script + kv ÷ native + kv: ${result.ratios.scriptKv.toFixed(1)}×. Added per call: ${(row('script').usPerCall - row('native').usPerCall).toFixed(1)} µs, ${(row('scriptKv').usPerCall - row('nativeKv').usPerCall).toFixed(1)} µs with the kv read.`,
    '',
    `In a worker thread (the default: a message each way, plus one round trip per kv call): ${row('scriptWorker').usPerCall.toFixed(1)} µs per call, ${(row('scriptWorker').usPerCall - row('script').usPerCall).toFixed(1)} µs more than on the calling thread; with the kv read ${row('scriptKvWorker').usPerCall.toFixed(1)} µs, ${(row('scriptKvWorker').usPerCall - row('scriptKv').usPerCall).toFixed(1)} µs more. Calls are awaited one by one here: with concurrent calls the workers (2) also run in parallel to the caller.`,
    ...(result.ratios.ivm
      ? ['', `isolated-vm ÷ native: ${result.ratios.ivm.toFixed(1)}×; flowgate script ÷ isolated-vm: ${result.ratios.scriptVsIvm.toFixed(2)}×.`]
      : []),
    '',
    `### Sandboxes: creation, memory, and a budget against a builtin-heavy loop`,
    '',
    `${result.sandboxes.count} sandboxes of the rule created (ms each); memory held by one: for QuickJS its allocator's count (memory_used_size of a runtime holding the rule), for isolated-vm the RSS delta of ${result.sandboxes.count} isolates ÷ ${result.sandboxes.count} after a GC. Then a handler looping 60 × \`indexOf\` over a 1e6-element array under a 50 ms budget.`,
    '',
    '| engine | ms to create one | MiB held per sandbox | builtin loop, 50 ms budget: outcome | after ms |',
    '|---|---|---|---|---|',
    ...[['QuickJS (flowgate script: load)', result.sandboxes.quickjs], ...(result.sandboxes.ivm ? [['isolated-vm (isolate + context + compile)', result.sandboxes.ivm]] : [])].map(
      ([label, r]) => `| ${label} | ${r.msEach.toFixed(1)} | ${r.mibEach.toFixed(2)} | ${r.builtinLoop.outcome} | ${r.builtinLoop.ms.toFixed(0)} |`,
    ),
    '',
    ...(result.abuse.length > 0
      ? [
          '### Abusive calls: on the calling thread vs in a worker thread with the watchdog',
          '',
          "How long until the call is cut, the calling thread's longest stall meanwhile (the largest gap between 5 ms timer ticks: what every other request handled by that thread waits), and the process's RSS after a GC before and after the call.",
          '',
          '| abuse | where | outcome | cut after ms | longest stall of the calling thread, ms | RSS before → after, MiB |',
          '|---|---|---|---|---|---|',
          ...result.abuse.map((r) => `| ${r.label} | ${r.where} | ${r.outcome} | ${r.ms.toFixed(0)} | ${r.maxGapMs.toFixed(0)} | ${r.rssBeforeMiB.toFixed(0)} → ${r.rssAfterMiB.toFixed(0)} |`),
          '',
        ]
      : []),
    ...(result.sandboxes.ivm ? IVM_NOTES : []),
    footer,
    '',
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await compareScripts();
  const at = new Date().toISOString();
  const footer = `Load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} when written (other work on the machine: the ratios, measured side by side, hold better than the absolute µs). \`${process.env.BENCH_IVM_DIR ? `BENCH_IVM_DIR=${process.env.BENCH_IVM_DIR} node --expose-gc --no-node-snapshot` : 'node --expose-gc'} bench/script-cost.mjs\`, ${cpus().length} CPUs, Node ${process.version}, ${at}.`;
  const name = process.env.BENCH_SCRIPT_OUT ?? 'scripts';
  writeFileSync(join(root, `bench/results/${name}.md`), scriptsMarkdown(result, footer));
  writeFileSync(join(root, `bench/results/${name}.json`), JSON.stringify({ at, node: process.version, ...result }, null, 2));
  console.log(`wrote bench/results/${name}.md, ${name}.json`);
}
