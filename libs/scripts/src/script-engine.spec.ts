import type { ScriptManifest } from '@flowgate/contracts';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inMemoryScriptHost } from './in-memory-host';
import { ScriptCallError, ScriptLoadError, type LoadedScript } from './script-api';
import { ScriptEngine } from './script-engine';

// These run the real sandbox: QuickJS compiled to WebAssembly, as processors run it.
const ctx = { id: 'req-1', route: 'quote', key: 'c-7', timestamp: 1_700_000_000_000, deadline: Infinity };
let engine: ScriptEngine;
const loaded: LoadedScript[] = [];
let version = 0;

async function load(source: string, manifest: Partial<ScriptManifest> = {}, name = 'rule'): Promise<LoadedScript> {
  const script = await engine.load({ name, version: ++version, source, manifest: { kind: 'step', ...manifest } });
  loaded.push(script);
  return script;
}

async function failure(promise: Promise<unknown>): Promise<ScriptCallError> {
  const error = await promise.then(
    (value) => new Error(`resolved with ${JSON.stringify(value)}`),
    (e: unknown) => e,
  );
  if (!(error instanceof ScriptCallError)) throw error;
  return error;
}

/** Resolves once `condition` holds (polled), or fails after `ms`. */
async function until(condition: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

beforeAll(async () => {
  engine = await ScriptEngine.create();
});
afterAll(async () => {
  await Promise.all(loaded.map((script) => script.dispose()));
  await engine.close();
});

describe('ScriptEngine: calls', () => {
  it('runs a synchronous default-export handler with the input and the context', async () => {
    const script = await load(`export default function (input, ctx) { return { total: input.qty * input.price, key: ctx.key, deadline: ctx.deadline } }`);
    await expect(script.call({ qty: 3, price: 2.5 }, ctx, {})).resolves.toEqual({ total: 7.5, key: 'c-7', deadline: null });
  });

  it('sees Infinity as the deadline of an event', async () => {
    const script = await load(`export default (input, ctx) => ctx.deadline === Infinity`);
    await expect(script.call(null, ctx, {})).resolves.toBe(true);
  });

  it('keeps module-level helpers and constants between calls of one sandbox', async () => {
    const script = await load(`const RATE = 0.2; const tax = (n) => n * RATE; export default (input) => tax(input)`);
    await expect(script.call(10, ctx, {})).resolves.toBe(2);
    await expect(script.call(20, ctx, {})).resolves.toBe(4);
  });

  it('returns undefined for a handler that returns nothing (a step drops the value)', async () => {
    const script = await load(`export default function () {}`);
    await expect(script.call({}, ctx, {})).resolves.toBeUndefined();
  });

  it('awaits an async handler and its kv calls, against the host it is given', async () => {
    const script = await load(
      `export default async function (input) {
        const seen = Number((await flowgate.kv.get('count:' + input.user)) ?? 0) + 1;
        await flowgate.kv.set('count:' + input.user, String(seen), 60);
        if (seen > 2) await flowgate.kv.delete('count:' + input.user);
        return seen;
      }`,
      { capabilities: { kv: {} } },
    );
    const host = inMemoryScriptHost({ kv: { 'count:ann': '1' } });
    await expect(script.call({ user: 'ann' }, ctx, host)).resolves.toBe(2);
    expect(host.kvEntries.get('count:ann')).toBe('2');
    await expect(script.call({ user: 'ann' }, ctx, host)).resolves.toBe(3);
    expect(host.kvEntries.has('count:ann')).toBe(false);
  });

  it('reads and writes the declared state stores, emits to declared topics and logs through the host', async () => {
    const script = await load(
      `export default function (input, ctx) {
        const total = (flowgate.state.get('totals') ?? 0) + input.amount;
        flowgate.state.put('totals', total);
        flowgate.state.delete('last');
        if (total > 100) flowgate.emit('alerts', ctx.key, { total });
        flowgate.log.info('added', { amount: input.amount });
        return total;
      }`,
      { capabilities: { state: { stores: ['totals', 'last'] }, emit: { topics: ['alerts'] }, log: true } },
    );
    const host = inMemoryScriptHost({ state: { totals: 90, last: 'x' } });
    await expect(script.call({ amount: 20 }, ctx, host)).resolves.toBe(110);
    expect(host.stateEntries.get('totals')).toBe(110);
    expect(host.stateEntries.has('last')).toBe(false);
    expect(host.emitted).toEqual([{ topic: 'alerts', key: 'c-7', value: { total: 110 } }]);
    expect(host.logged).toEqual([{ level: 'info', message: 'added', fields: { amount: 20 } }]);
  });

  it('refuses a store or a topic the manifest does not list, inside the script', async () => {
    const script = await load(
      `export default function () {
        const refused = [];
        try { flowgate.state.get('secrets') } catch (e) { refused.push(e.message) }
        try { flowgate.emit('payments', 'k', 1) } catch (e) { refused.push(e.message) }
        return refused;
      }`,
      { capabilities: { state: { stores: ['totals'] }, emit: { topics: ['alerts'] } } },
    );
    const host = inMemoryScriptHost();
    const refused = (await script.call({}, ctx, host)) as string[];
    expect(refused[0]).toMatch(/store "secrets" is not declared/);
    expect(refused[1]).toMatch(/topic "payments" is not declared/);
    expect(host.emitted).toEqual([]);
  });

  it('exposes only the granted capabilities', async () => {
    const script = await load(`export default () => Object.keys(flowgate).sort()`, { capabilities: { kv: {} } });
    await expect(script.call(null, ctx, inMemoryScriptHost())).resolves.toEqual(['kv', 'now']);
    const bare = await load(`export default () => [typeof flowgate.kv, typeof flowgate.http, typeof flowgate.emit, typeof flowgate.now()]`);
    await expect(bare.call(null, ctx, {})).resolves.toEqual(['undefined', 'undefined', 'undefined', 'number']);
  });

  it('turns a RouteError into a call error with its code and status', async () => {
    const script = await load(`export default (input) => { if (input.qty < 1) throw new RouteError('bad-quantity', 'qty must be at least 1', 422); return 'ok' }`);
    const error = await failure(script.call({ qty: 0 }, ctx, {}));
    expect(error).toMatchObject({ reason: 'error', code: 'bad-quantity', status: 422, message: 'qty must be at least 1' });
    const rejected = await load(`export default async () => { await null; throw new RouteError('late') }`);
    await expect(failure(rejected.call({}, ctx, {}))).resolves.toMatchObject({ reason: 'error', code: 'late', status: undefined });
  });

  it('reports any other throw as an error without a code, and stays usable', async () => {
    const script = await load(`export default (input) => { if (input) throw new TypeError('no good'); return 1 }`);
    await expect(failure(script.call(true, ctx, {}))).resolves.toMatchObject({ reason: 'error', code: undefined, message: 'TypeError: no good' });
    await expect(script.call(false, ctx, {})).resolves.toBe(1);
  });

  it('keeps the builtins the budget guards working as the language says, small and large', async () => {
    const script = await load(`export default () => {
      const big = Array.from({ length: 10000 }, (_, i) => 10000 - i);
      return [
        [3, 1, 2].sort(), big.slice().sort((a, b) => a - b)[0], big.indexOf(1), big.includes(5), big.map((x) => x * 2)[0],
        'ab'.repeat(3), 'x'.repeat(5000).length, '7'.padStart(3, '0'), 'a,b'.split(','), JSON.parse(JSON.stringify({ big: big.length })),
        Array.prototype.map.name, Array.prototype.map.length, String.prototype.padStart.length, [].concat.call([1], [2]), Array.prototype.join.call({ length: 2, 0: 'a', 1: 'b' }, '-'),
        new Uint8Array([3, 1, 2]).sort().join(),
      ];
    }`, { limits: { cpuMs: 2_000 } });
    await expect(script.call(null, ctx, {})).resolves.toEqual([[1, 2, 3], 1, 9999, true, 20000, 'ababab', 5000, '007', ['a', 'b'], { big: 10000 }, 'map', 1, 1, [1, 2], 'a-b', '1,2,3']);
  });

  it('ends a call still awaiting a capability when its deadline passes, and the sandbox serves the next', async () => {
    const script = await load(`export default async (input) => input.hang ? await flowgate.kv.get('k') : 'next'`, { capabilities: { kv: {} } });
    const hanging = { ...inMemoryScriptHost(), kv: { get: () => new Promise<string | null>(() => undefined), set: async () => undefined, delete: async () => undefined } };
    const error = await failure(script.call({ hang: true }, { ...ctx, deadline: Date.now() + 50 }, hanging));
    expect(error).toMatchObject({ reason: 'error', message: expect.stringMatching(/deadline passed/) });
    await expect(script.call({ hang: false }, ctx, hanging)).resolves.toBe('next');
  });

  it('runs in a sandbox of the smallest memory a manifest may ask for', async () => {
    const script = await load(`export default (input) => input.map((n) => n * 2)`, { limits: { memoryMb: 4 } });
    await expect(script.call([1, 2], ctx, {})).resolves.toEqual([2, 4]);
  });

  it('refuses a result that is not JSON', async () => {
    const script = await load(`export default () => ({ n: 10n })`);
    await expect(failure(script.call(null, ctx, {}))).resolves.toMatchObject({ reason: 'error', message: expect.stringMatching(/not JSON/) });
  });

  it('fails a handler that awaits something nothing will ever settle', async () => {
    const script = await load(`export default async () => { await new Promise(() => {}); return 1 }`);
    await expect(failure(script.call(null, ctx, {}))).resolves.toMatchObject({ reason: 'error', message: expect.stringMatching(/never settles/) });
  });

  it('keeps concurrent calls of one script apart: each its own state, kv back end and result', async () => {
    const script = await load(
      `let calls = 0;
      export default async function (input) {
        calls++;
        flowgate.state.put('seen', input.n);
        await flowgate.kv.get('k');
        await flowgate.kv.get('k');
        return { n: input.n, seen: flowgate.state.get('seen'), kv: await flowgate.kv.get('k'), calls };
      }`,
      { capabilities: { state: { stores: ['seen'] }, kv: {} } },
    );
    const hosts = Array.from({ length: 6 }, (_, n) => inMemoryScriptHost({ kv: { k: `v${n}` } }));
    const results = await Promise.all(hosts.map((host, n) => script.call({ n }, { ...ctx, id: `r${n}` }, host)));
    results.forEach((result, n) => expect(result).toMatchObject({ n, seen: n, kv: `v${n}`, calls: 1 }));
  });
});

describe('LoadedScript: pool and unloading', () => {
  it('makes calls beyond maxSandboxesPerScript wait for a free sandbox', async () => {
    const small = await ScriptEngine.create({ maxSandboxesPerScript: 1 });
    const script = await small.load({ name: 'queue', version: 1, source: `let running = 0; export default async () => { running++; const seen = running; await flowgate.kv.get('k'); running--; return seen }`, manifest: { kind: 'step', capabilities: { kv: {} } } });
    await expect(Promise.all([1, 2, 3].map(() => script.call(null, ctx, inMemoryScriptHost())))).resolves.toEqual([1, 1, 1]);
    await script.dispose();
    await small.close();
  });

  it('lets running calls finish on dispose, and refuses calls after it', async () => {
    const script = await load(`export default async () => { await flowgate.kv.get('k'); return 'finished' }`, { capabilities: { kv: {} } });
    let release: (() => void) | undefined;
    const host = { ...inMemoryScriptHost(), kv: { get: () => new Promise<string | null>((resolve) => (release = () => resolve(null))), set: async () => undefined, delete: async () => undefined } };
    const running = script.call(null, ctx, host);
    await until(() => release !== undefined); // the call reached its kv.get (a round trip from its worker)
    const disposed = script.dispose();
    await expect(failure(script.call(null, ctx, host))).resolves.toMatchObject({ reason: 'error', message: expect.stringMatching(/is unloaded/) });
    release!();
    await expect(running).resolves.toBe('finished');
    await disposed;
  });
});

describe('ScriptEngine: loading', () => {
  it('refuses a syntax error with its location', async () => {
    await expect(engine.load({ name: 'broken', version: 1, source: 'export default function ( {', manifest: { kind: 'step' } })).rejects.toThrow(
      /script broken@1 failed to load: SyntaxError: .*broken\.js:1/,
    );
  });

  it('refuses a module that throws while loading', async () => {
    await expect(engine.load({ name: 'thrower', version: 2, source: `throw new Error('no config'); export default () => 1`, manifest: { kind: 'step' } })).rejects.toThrow(
      new ScriptLoadError('script thrower@2 failed to load: Error: no config (at thrower.js:1:16)'),
    );
  });

  it('refuses a module without a default-export function', async () => {
    await expect(engine.load({ name: 'nohandler', version: 1, source: `export const x = 1`, manifest: { kind: 'step' } })).rejects.toThrow(/has no handler/);
  });

  it('refuses a static import: there are no modules to import', async () => {
    await expect(engine.load({ name: 'importer', version: 1, source: `import fs from 'fs'; export default () => fs`, manifest: { kind: 'step' } })).rejects.toThrow(
      /could not load module 'fs'/,
    );
  });

  it('refuses a module whose top-level code loops, at the load budget', async () => {
    await expect(engine.load({ name: 'spinner', version: 1, source: `for (;;) {} export default () => 1`, manifest: { kind: 'step' } })).rejects.toThrow(/CPU while loading/);
  });

  it('refuses an unsound manifest', async () => {
    await expect(engine.load({ name: 'x', version: 1, source: `export default () => 1`, manifest: { kind: 'step', capabilities: { sql: {} } } as unknown as ScriptManifest })).rejects.toThrow(
      /unknown key "sql"/,
    );
  });

  it('accepts top-level await of plain promises', async () => {
    const script = await load(`const table = await Promise.resolve({ a: 1 }); export default (k) => table[k]`);
    await expect(script.call('a', ctx, {})).resolves.toBe(1);
  });
});

describe('ScriptEngine: escapes', () => {
  const probes: Record<string, string> = {
    'this.constructor.constructor': `try { return this.constructor.constructor('return typeof process')() } catch (e) { return e.name }`,
    'the Function constructor': `return Function('return this')().constructor.constructor('return typeof process')()`,
    'a function constructor reached from an object': `return ({}).constructor.constructor('return typeof process + typeof require + typeof module')()`,
    'globalThis.process': `return typeof globalThis.process`,
    'require': `return typeof require`,
    'the environment': `try { return process.env.HOME } catch (e) { return e.name }`,
    'timers': `return [typeof setTimeout, typeof setInterval, typeof setImmediate, typeof queueMicrotask].join()`,
    'fetch and console': `return [typeof fetch, typeof XMLHttpRequest, typeof console].join()`,
    'indirect eval of the global object': `return Object.getOwnPropertyNames((0, eval)('this')).filter((k) => ['process', 'require', 'module', 'Buffer', 'fetch', 'std', 'os', 'global'].includes(k)).join()`,
  };
  const expected: Record<string, unknown> = {
    'this.constructor.constructor': 'TypeError',
    'the Function constructor': 'undefined',
    'a function constructor reached from an object': 'undefinedundefinedundefined',
    'globalThis.process': 'undefined',
    'require': 'undefined',
    'the environment': 'ReferenceError',
    'timers': 'undefined,undefined,undefined,undefined',
    'fetch and console': 'undefined,undefined,undefined',
    'indirect eval of the global object': '',
  };

  it.each(Object.keys(probes))('finds nothing of the host through %s', async (probe) => {
    const script = await load(`export default function () { ${probes[probe]} }`);
    await expect(script.call(null, ctx, {})).resolves.toEqual(expected[probe]);
  });

  it('refuses a dynamic import', async () => {
    const script = await load(`export default async () => { try { await import('fs'); return 'imported' } catch (e) { return e.message } }`);
    await expect(script.call(null, ctx, {})).resolves.toMatch(/could not load module 'fs'/);
  });

  it('reaches no host object through the values it is handed or the capabilities', async () => {
    const script = await load(
      `export default function (input, ctx) {
        const found = [];
        for (const v of [input, ctx, flowgate, flowgate.kv, flowgate.kv.get, RouteError]) {
          try { const p = v.constructor.constructor('return typeof process')(); if (p !== 'undefined') found.push(p) } catch (e) {}
          try { const p = Object.getPrototypeOf(v).constructor.constructor('return typeof process')(); if (p !== 'undefined') found.push(p) } catch (e) {}
        }
        return found;
      }`,
      { capabilities: { kv: {} } },
    );
    await expect(script.call({ a: [1] }, ctx, inMemoryScriptHost())).resolves.toEqual([]);
  });

  it('cannot replace flowgate or its capabilities', async () => {
    const script = await load(
      `export default function () {
        try { flowgate = {} } catch (e) {}
        try { flowgate.kv.get = () => 'forged' } catch (e) {}
        return [typeof flowgate.kv.get('k').then, Object.isFrozen(flowgate)];
      }`,
      { capabilities: { kv: {} } },
    );
    await expect(script.call(null, ctx, inMemoryScriptHost())).resolves.toEqual(['function', true]);
  });

  it('keeps Object.prototype changes inside its own sandbox: not in the host, not in another script', async () => {
    const polluter = await load(`export default () => { Object.prototype.polluted = 'yes'; JSON.parse = () => ({ forged: true }); return ({}).polluted }`);
    await expect(polluter.call(null, ctx, {})).resolves.toBe('yes');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    const other = await load(`export default () => [({}).polluted, JSON.parse('{"a":1}')]`);
    await expect(other.call(null, ctx, {})).resolves.toEqual([null, { a: 1 }]); // undefined, as JSON
    // The polluter broke its own JSON.parse, not the boundary: its results still arrive intact.
    await expect(polluter.call(null, ctx, {})).resolves.toBe('yes');
  });
});

describe('ScriptEngine: budgets', () => {
  it('cuts an infinite loop at its CPU budget; the next call works and another script is unaffected', async () => {
    const script = await load(`export default (input) => { if (input.spin) for (;;) {} return 'done' }`, { limits: { cpuMs: 30 } });
    const neighbour = await load(`export default () => 'neighbour fine'`);
    const started = performance.now();
    const error = await failure(script.call({ spin: true }, ctx, {}));
    expect(error.reason).toBe('budget');
    expect(error.message).toMatch(/more than its 30 ms of CPU/);
    expect(performance.now() - started).toBeLessThan(2_000);
    await expect(script.call({ spin: false }, ctx, {})).resolves.toBe('done');
    await expect(neighbour.call(null, ctx, {})).resolves.toBe('neighbour fine');
  });

  it('cannot catch the budget interrupt', async () => {
    const script = await load(`export default () => { try { for (;;) {} } catch (e) { return 'caught' } }`, { limits: { cpuMs: 20 } });
    await expect(failure(script.call(null, ctx, {}))).resolves.toMatchObject({ reason: 'budget' });
  });

  it('counts only time inside the sandbox: a slow kv answer does not use the budget', async () => {
    const script = await load(`export default async () => { await flowgate.kv.get('a'); await flowgate.kv.get('b'); return 'ok' }`, { capabilities: { kv: {} }, limits: { cpuMs: 5 } });
    const slow = { ...inMemoryScriptHost(), kv: { get: () => new Promise<string | null>((resolve) => setTimeout(() => resolve(null), 40)), set: async () => undefined, delete: async () => undefined } };
    await expect(script.call(null, ctx, slow)).resolves.toBe('ok');
  });

  it('does not charge a call for time its thread spent off the CPU (preempted, throttled)', async () => {
    // A host call that sleeps without using CPU stands in for the thread being descheduled mid-slice.
    const script = await load(`export default () => { flowgate.state.get('s'); let n = 0; for (let i = 0; i < 1e5; i++) n += i; return n }`, {
      capabilities: { state: { stores: ['s'] } },
      limits: { cpuMs: 30 },
    });
    const sleepy = { ...inMemoryScriptHost(), state: { get: () => void Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 80), put: () => undefined, delete: () => undefined } };
    await expect(script.call(null, ctx, sleepy)).resolves.toBe(4999950000);
  });

  it('sums the slices of an async handler against one budget', async () => {
    const script = await load(
      `export default async () => { for (let i = 0; i < 1000; i++) { const t = Date.now(); while (Date.now() - t < 5) {} await flowgate.kv.get('k') } return 'never' }`,
      { capabilities: { kv: {} }, limits: { cpuMs: 40 } },
    );
    await expect(failure(script.call(null, ctx, inMemoryScriptHost()))).resolves.toMatchObject({ reason: 'budget' });
  });

  it('gives each concurrent call its own budget', async () => {
    const script = await load(
      `export default async (input) => { const t = Date.now(); while (Date.now() - t < input.ms) {} await flowgate.kv.get('k'); return input.ms }`,
      { capabilities: { kv: {} }, limits: { cpuMs: 60 } },
    );
    const calls = [30, 30, 30, 30].map((ms) => script.call({ ms }, ctx, inMemoryScriptHost()));
    await expect(Promise.all(calls)).resolves.toEqual([30, 30, 30, 30]);
  });

  it('cuts a memory bomb of large strings (default limits); the next call works', async () => {
    // QuickJS shares the repeated strings' storage, so this reaches the CPU budget before the cap.
    const script = await load(`export default (input) => { if (input.bomb) { const a = []; for (;;) a.push('x'.repeat(1e6)) } return 'fine' }`);
    const started = performance.now();
    await expect(failure(script.call({ bomb: true }, ctx, {}))).resolves.toMatchObject({ reason: expect.stringMatching(/^(budget|memory)$/) });
    expect(performance.now() - started).toBeLessThan(5_000);
    await expect(script.call({ bomb: false }, ctx, {})).resolves.toBe('fine');
  });

  it('cuts a memory bomb at the memory cap; the next call works', async () => {
    const script = await load(`export default (input) => { if (input.bomb) { const a = []; for (;;) a.push(new Uint8Array(1e6)) } return 'fine' }`, { limits: { memoryMb: 8, cpuMs: 5_000 } });
    const error = await failure(script.call({ bomb: true }, ctx, {}));
    expect(error.reason).toBe('memory');
    expect(error.message).toMatch(/ran out of memory \(limit 8 MiB/);
    await expect(script.call({ bomb: false }, ctx, {})).resolves.toBe('fine');
  }, 60_000);

  it.each([
    ['sorts', `const b = new Array(1e6).fill(3); for (let i = 0; i < 30; i++) b.slice().sort()`],
    ['JSON round trips', `const s = JSON.stringify(new Array(1e5).fill({ a: 1 })); for (let i = 0; i < 100; i++) JSON.parse(s)`],
    ['indexOf scans', `const b = new Array(1e6).fill(1); for (let i = 0; i < 200; i++) b.indexOf(2)`],
  ])('cuts a loop of large builtin calls (%s) near its budget, though QuickJS polls only between bytecodes', async (_, body) => {
    const script = await load(`export default () => { ${body}; return 'done' }`, { limits: { cpuMs: 50, memoryMb: 64 } });
    const started = performance.now();
    await expect(failure(script.call(null, ctx, {}))).resolves.toMatchObject({ reason: 'budget' });
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('cuts a bomb of small objects and deep recursion as memory failures', async () => {
    const objects = await load(`export default () => { const a = []; for (;;) a.push({ x: a.length }) }`, { limits: { memoryMb: 8, cpuMs: 5_000 } });
    await expect(failure(objects.call(null, ctx, {}))).resolves.toMatchObject({ reason: 'memory' });
    const recursion = await load(`const f = (n) => f(n + 1) + 1; export default () => f(0)`);
    await expect(failure(recursion.call(null, ctx, {}))).resolves.toMatchObject({ reason: 'memory', message: expect.stringMatching(/stack overflow/) });
    await expect(recursion.call(null, ctx, {}).catch((e: ScriptCallError) => e.reason)).resolves.toBe('memory');
  });
});

/** Runs `work` while a 5 ms timer ticks on this thread, and returns when each tick ran: a blocked event loop shows as no ticks. */
async function whileTicking<T>(work: Promise<T>): Promise<{ result: T; ticks: number[] }> {
  const ticks: number[] = [];
  const timer = setInterval(() => ticks.push(performance.now()), 5);
  try {
    return { result: await work, ticks };
  } finally {
    clearInterval(timer);
  }
}

/**
 * One builtin call of seconds: QuickJS converts every number to a string to compare it, and a tiny
 * number's shortest digits take long to find (12 s here on a quiet machine; with 0.1 it took 1.1 s,
 * under the 1.3 s the watchdog allows a 300 ms budget, so a quiet machine finished it).
 */
const OVERRUN = `const a = new Array(2e6).fill(Math.PI * 1e-300); a.sort(); return a.length`;

describe('ScriptEngine: worker threads and their watchdog', () => {
  const abusers: Record<string, { source: string; limits: { cpuMs: number; memoryMb?: number }; reasons: string[] }> = {
    // Cut by the interrupt handler inside the worker, at its budget (which, on the caller's thread, blocked everything for 500 ms).
    'an infinite loop': { source: `for (;;) {}`, limits: { cpuMs: 500 }, reasons: ['budget'] },
    // One builtin call of seconds: QuickJS never polls inside it; the watchdog terminates the worker.
    // (The sort alone runs about 12 s; the budget leaves room for the fill in a fresh worker's WebAssembly memory.)
    'a builtin overrun (one sort of 2 million numbers)': { source: OVERRUN, limits: { cpuMs: 300, memoryMb: 128 }, reasons: ['budget'] },
    // Grows the WebAssembly memory by hundreds of MiB for a second (on the caller's thread: a second's stall).
    'a memory bomb of strings': { source: `const a = []; for (;;) a.push('x'.repeat(1e6))`, limits: { cpuMs: 1_000, memoryMb: 16 }, reasons: ['budget', 'memory'] },
  };

  // Ordering, not durations (this machine may be busy): a call on this thread, or one queued behind the abuser, could not pass.
  it.each(Object.keys(abusers))('cuts %s while this thread keeps running and a concurrent call completes before the cut', async (what) => {
    const { source, limits, reasons } = abusers[what];
    const abuser = await load(`export default (input) => { if (input.go) { ${source} } return 'fine' }`, { limits });
    const ordinary = await load(`export default (input) => input * 2`);
    await expect(ordinary.call(1, ctx, {})).resolves.toBe(2);
    const started = performance.now();
    const { result, ticks } = await whileTicking(
      Promise.all([
        failure(abuser.call({ go: true }, ctx, {})).then((error) => ({ error, at: performance.now() })),
        (async () => {
          await new Promise((resolve) => setTimeout(resolve, 20)); // the abuser is running by now
          const value = await ordinary.call(21, ctx, {});
          return { value, at: performance.now() };
        })(),
      ]),
    );
    const [cut, concurrent] = result;
    expect(reasons).toContain(cut.error.reason);
    if (what.includes('overrun')) expect(cut.error.message).toMatch(/stopped by the watchdog/);
    expect(concurrent.value).toBe(42);
    // Served by the other worker: it waited neither for the abuser nor for a replacement worker.
    expect(concurrent.at).toBeLessThan(cut.at);
    // This thread ran its timer all along: an abuser on it would have left no tick before the cut.
    expect(ticks.filter((t) => t > started && t < cut.at).length).toBeGreaterThanOrEqual(3);
    // And the script serves again (on a replaced worker if its own was terminated).
    await expect(abuser.call({ go: false }, ctx, {})).resolves.toBe('fine');
  });

  it('retries the other calls a terminated worker held on a fresh worker: they were not at fault', async () => {
    const single = await ScriptEngine.create({ workers: 1 });
    try {
      const bomb = await single.load({ name: 'bomb', version: 1, source: `export default () => { ${OVERRUN} }`, manifest: { kind: 'step', limits: { cpuMs: 300, memoryMb: 128 } } });
      const patient = await single.load({ name: 'patient', version: 1, source: `export default async (input) => (await flowgate.kv.get('k')) + input`, manifest: { kind: 'step', capabilities: { kv: {} } } });
      let asked = 0;
      const slow = { ...inMemoryScriptHost(), kv: { get: async () => (asked++, new Promise<string>((resolve) => setTimeout(() => resolve('v'), 100))), set: async () => undefined, delete: async () => undefined } };
      const waiting = patient.call('!', ctx, slow);
      await until(() => asked === 1); // the patient call awaits its kv answer in the worker
      await expect(failure(bomb.call(null, ctx, {}))).resolves.toMatchObject({ reason: 'budget', message: expect.stringMatching(/watchdog/) });
      await expect(waiting).resolves.toBe('v!');
      expect(asked).toBe(2); // it ran again from the start on the fresh worker
      await expect(patient.call('?', ctx, slow)).resolves.toBe('v?');
    } finally {
      await single.close();
    }
  });

  it('replaces a worker whose WebAssembly memory grew past recycleHeapMb once its calls end; they complete', async () => {
    const single = await ScriptEngine.create({ workers: 1, recycleHeapMb: 1 });
    try {
      const bomb = await single.load({ name: 'bomb', version: 1, source: `export default () => { const a = []; for (;;) a.push('x'.repeat(1e6)) }`, manifest: { kind: 'step', limits: { cpuMs: 50, memoryMb: 16 } } });
      const patient = await single.load({ name: 'patient', version: 1, source: `export default async (input) => (await flowgate.kv.get('k')) + input`, manifest: { kind: 'step', capabilities: { kv: {} } } });
      let asked = 0;
      const slow = { ...inMemoryScriptHost(), kv: { get: async () => (asked++, new Promise<string>((resolve) => setTimeout(() => resolve('v'), 100))), set: async () => undefined, delete: async () => undefined } };
      const waiting = patient.call('!', ctx, slow);
      await until(() => asked === 1);
      await expect(failure(bomb.call(null, ctx, {}))).resolves.toMatchObject({ reason: expect.stringMatching(/^(budget|memory)$/) });
      await expect(waiting).resolves.toBe('v!');
      expect(asked).toBe(1); // finished on the retiring worker, not retried
      await expect(patient.call('?', ctx, slow)).resolves.toBe('v?');
    } finally {
      await single.close();
    }
  });

  it('applies state writes and emits of a successful call in order, none of a failed call, and replays its log lines either way', async () => {
    const script = await load(
      `export default (input, ctx) => {
        flowgate.state.put('totals', input.n);
        flowgate.emit('alerts', ctx.key, { n: input.n });
        flowgate.state.delete('last');
        flowgate.state.put('last', flowgate.state.get('totals') + 1);
        flowgate.log.warn('seen', { n: input.n });
        if (input.fail) throw new RouteError('refused');
        return flowgate.state.get('last');
      }`,
      { capabilities: { state: { stores: ['totals', 'last'] }, emit: { topics: ['alerts'] }, log: true } },
    );
    const host = inMemoryScriptHost({ state: { totals: 1, last: 0 } });
    await expect(failure(script.call({ n: 5, fail: true }, ctx, host))).resolves.toMatchObject({ code: 'refused' });
    expect(Object.fromEntries(host.stateEntries)).toEqual({ totals: 1, last: 0 });
    expect(host.emitted).toEqual([]);
    expect(host.logged).toEqual([{ level: 'warn', message: 'seen', fields: { n: 5 } }]);
    await expect(script.call({ n: 7 }, ctx, host)).resolves.toBe(8);
    expect(Object.fromEntries(host.stateEntries)).toEqual({ totals: 7, last: 8 });
    expect(host.emitted).toEqual([{ topic: 'alerts', key: 'c-7', value: { n: 7 } }]);
  });

  it("routes http through the host's client when it has one, after the allow-list check in the worker", async () => {
    const script = await load(`export default async (input) => (await flowgate.http.fetch(input.url, { method: 'POST', body: 'q' })).body`, { capabilities: { http: { hosts: ['api.example.com'] } } });
    const requests: unknown[] = [];
    const host = { http: async (request: unknown) => (requests.push(request), { status: 200, headers: {}, body: 'from the host' }) };
    await expect(script.call({ url: 'https://api.example.com/x' }, ctx, host)).resolves.toBe('from the host');
    expect(requests).toEqual([expect.objectContaining({ url: 'https://api.example.com/x', method: 'POST', body: 'q' })]);
    await expect(failure(script.call({ url: 'https://evil.example.org/' }, ctx, host))).resolves.toMatchObject({ message: expect.stringMatching(/not on this script's allow-list/) });
    expect(requests).toHaveLength(1);
  });

  it("sees the host's clock through flowgate.now()", async () => {
    const script = await load(`export default () => flowgate.now()`);
    const at = (await script.call(null, ctx, { now: () => 1_000_000 })) as number;
    expect(Math.abs(at - 1_000_000)).toBeLessThan(1_000);
  });
});

describe('ScriptEngine: http', () => {
  let server: Server;
  let base: string;
  const seen: Array<{ method?: string; url?: string; body: string; auth?: string }> = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, body, auth: req.headers.authorization });
        if (req.url === '/slow') return void setTimeout(() => res.end('late'), 1_000);
        if (req.url === '/big') return void res.end('x'.repeat(1024 * 1024 + 1));
        if (req.url === '/redirect') return void res.writeHead(302, { location: 'http://evil.invalid/' }).end();
        res.writeHead(201, { 'content-type': 'application/json', 'x-answer': '42' }).end(JSON.stringify({ echoed: body }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const manifest = (timeoutMs?: number): Partial<ScriptManifest> => ({ capabilities: { http: { hosts: ['127.0.0.1', '*.example.com'], timeoutMs } } });

  it('fetches from a host on the allow-list: status, headers and body text', async () => {
    const script = await load(
      `export default async (input) => {
        const r = await flowgate.http.fetch(input.url, { method: 'POST', headers: { authorization: 'Bearer t' }, body: JSON.stringify({ q: 1 }) });
        return { status: r.status, answer: r.headers['x-answer'], body: JSON.parse(r.body) };
      }`,
      manifest(),
    );
    await expect(script.call({ url: `${base}/quote` }, ctx, {})).resolves.toEqual({ status: 201, answer: '42', body: { echoed: '{"q":1}' } });
    expect(seen.at(-1)).toMatchObject({ method: 'POST', url: '/quote', auth: 'Bearer t' });
  });

  it('rejects, inside the script, a host that is not on the list, and other schemes', async () => {
    const script = await load(
      `export default async (input) => { try { await flowgate.http.fetch(input.url); return 'fetched' } catch (e) { return e.message } }`,
      manifest(),
    );
    const before = seen.length;
    await expect(script.call({ url: 'http://localhost:1/' }, ctx, {})).resolves.toMatch(/host localhost is not on this script's allow-list \(127\.0\.0\.1, \*\.example\.com\)/);
    await expect(script.call({ url: 'http://example.com/' }, ctx, {})).resolves.toMatch(/host example\.com is not on this script's allow-list/);
    await expect(script.call({ url: 'file:///etc/passwd' }, ctx, {})).resolves.toMatch(/only http and https/);
    expect(seen.length).toBe(before);
  });

  it('does not follow a redirect off the list; the script sees the 3xx', async () => {
    const script = await load(`export default async (input) => { const r = await flowgate.http.fetch(input.url); return [r.status, r.headers.location] }`, manifest());
    await expect(script.call({ url: `${base}/redirect` }, ctx, {})).resolves.toEqual([302, 'http://evil.invalid/']);
  });

  it('gives up at the manifest timeout and bounds the response body', async () => {
    const script = await load(`export default async (input) => { try { return (await flowgate.http.fetch(input.url)).body.length } catch (e) { return e.message } }`, manifest(100));
    await expect(script.call({ url: `${base}/slow` }, ctx, {})).resolves.toMatch(/within 100 ms/);
    const patient = await load(`export default async (input) => { try { return (await flowgate.http.fetch(input.url)).body.length } catch (e) { return e.message } }`, manifest(10_000));
    await expect(patient.call({ url: `${base}/big` }, ctx, {})).resolves.toMatch(/over 1048576 bytes/);
  });
});
