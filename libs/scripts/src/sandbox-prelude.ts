/**
 * Global code run in every sandbox before the script's module: it builds `flowgate` (only the
 * granted capabilities) and `RouteError`, and returns `bind` (handler → the function the host calls per
 * record) and `settle` (how the host answers an asynchronous capability). The host reaches it through one function, `hostCall(op, argsJson)`, held only in
 * this closure: values cross the boundary as JSON text, never as shared objects.
 *
 * It keeps its own references to JSON and Promise, so a script that replaces `JSON.parse` or
 * `Promise.prototype.then` breaks only itself, never what the host reads.
 */
export const SANDBOX_PRELUDE = String.raw`(function (hostCall, grantsJson) {
  'use strict';
  const parse = JSON.parse;
  const grants = parse(grantsJson);
  const stringify = JSON.stringify;
  const freeze = Object.freeze;
  const defineProperty = Object.defineProperty;
  const PromiseCtor = Promise;
  const then = Promise.prototype.then;
  const syncCall = (op, args) => {
    const out = hostCall(op, stringify(args));
    return out === undefined ? undefined : parse(out);
  };
  // An asynchronous capability: the host answers with an operation number now and settles it
  // later through settle(); the resolvers wait here, in an object the script cannot reach.
  const pending = Object.create(null);
  const asyncCall = (op, args) =>
    new PromiseCtor((resolve, reject) => {
      pending[hostCall(op, stringify(args))] = { resolve, reject };
    });
  const settle = (id, ok, out) => {
    const waiting = pending[id];
    delete pending[id];
    if (waiting === undefined) return;
    if (ok) waiting.resolve(out === undefined ? undefined : parse(out));
    else waiting.reject(new Error(out));
  };

  class RouteError extends Error {
    constructor(code, message, status) {
      super(message === undefined ? String(code) : String(message));
      this.name = 'RouteError';
      this.code = String(code);
      if (status !== undefined) this.status = status;
    }
  }

  // QuickJS polls its interrupt handler (the CPU budget) between bytecodes only, and not within a
  // builtin: a loop of sorts or JSON.parse calls over large values would run for seconds past its
  // budget. Builtins that do work in proportion to a large receiver or argument ask the host
  // first; once the call is over budget that throws, and the next poll ends it for good. What a
  // single builtin call does is still only bounded by the memory cap.
  const apply = Reflect.apply;
  const LARGE = 4096;
  const guard = (owner, names, size) => {
    for (const name of names) {
      const original = owner[name];
      if (typeof original !== 'function') continue;
      const guarded = {
        [name](...args) {
          if (size(this, args) > LARGE) hostCall('tick', '');
          return apply(original, this, args);
        },
      }[name];
      defineProperty(guarded, 'length', { value: original.length });
      defineProperty(owner, name, { value: guarded, writable: true, configurable: true, enumerable: false });
    }
  };
  const lengthOf = (value) => (value !== null && value !== undefined && typeof value.length === 'number' ? value.length : 0);
  const arrayMethods = ['indexOf', 'lastIndexOf', 'includes', 'join', 'fill', 'sort', 'reverse', 'slice', 'splice', 'concat', 'copyWithin', 'flat', 'flatMap', 'toString', 'toSorted', 'toReversed', 'toSpliced',
    'map', 'filter', 'forEach', 'reduce', 'reduceRight', 'some', 'every', 'find', 'findIndex', 'findLast', 'findLastIndex'];
  guard(Array.prototype, arrayMethods, (self) => lengthOf(self));
  guard(Object.getPrototypeOf(Uint8Array.prototype), [...arrayMethods, 'set'], (self) => lengthOf(self));
  guard(String.prototype, ['indexOf', 'lastIndexOf', 'includes', 'split', 'replace', 'replaceAll', 'match', 'matchAll', 'search', 'normalize', 'toUpperCase', 'toLowerCase', 'localeCompare', 'trim', 'startsWith', 'endsWith'],
    (self, args) => lengthOf(self) + lengthOf(args[0]));
  guard(String.prototype, ['repeat'], (self, args) => lengthOf(self) * (Number(args[0]) || 0));
  guard(String.prototype, ['padStart', 'padEnd'], (_, args) => Number(args[0]) || 0);
  guard(JSON, ['parse'], (_, args) => lengthOf(args[0]));
  guard(JSON, ['stringify'], () => LARGE + 1); // its cost is the size of what it walks: unknown until walked
  guard(Array, ['from'], (_, args) => lengthOf(args[0]));

  const flowgate = { now: () => syncCall('now', []) };
  if (grants.http) flowgate.http = freeze({ fetch: (url, init) => asyncCall('http.fetch', [url, init === undefined ? {} : init]) });
  if (grants.kv) {
    flowgate.kv = freeze({
      get: (key) => asyncCall('kv.get', [key]),
      set: (key, value, ttlSeconds) => asyncCall('kv.set', [key, value, ttlSeconds]),
      delete: (key) => asyncCall('kv.delete', [key]),
    });
  }
  if (grants.state) {
    flowgate.state = freeze({
      get: (store) => syncCall('state.get', [store]),
      put: (store, value) => void syncCall('state.put', [store, value]),
      delete: (store) => void syncCall('state.delete', [store]),
    });
  }
  if (grants.emit) flowgate.emit = (topic, key, value) => void syncCall('emit', [topic, key, value]);
  if (grants.log) {
    const log = (level) => (message, fields) => void syncCall('log', [level, message, fields === undefined ? {} : fields]);
    flowgate.log = freeze({ info: log('info'), warn: log('warn'), error: log('error') });
  }
  defineProperty(globalThis, 'flowgate', { value: freeze(flowgate) });
  defineProperty(globalThis, 'RouteError', { value: RouteError });

  const describe = (error) => {
    if (error instanceof RouteError) {
      return { ok: false, route: true, code: error.code, message: String(error.message), status: typeof error.status === 'number' ? error.status : undefined };
    }
    if (error !== null && typeof error === 'object') return { ok: false, name: String(error.name), message: String(error.message) };
    return { ok: false, message: String(error) };
  };
  const encode = (result) => {
    try {
      const json = stringify(result);
      return json === undefined ? '{"ok":true}' : '{"ok":true,"value":' + json + '}';
    } catch (error) {
      return stringify({ ok: false, message: 'the result is not JSON: ' + describe(error).message });
    }
  };

  const bind = (handler) => (inputJson, contextJson) => {
    // Operations a previous call left unawaited are never settled: forget their resolvers.
    for (const id in pending) delete pending[id];
    const ctx = parse(contextJson);
    if (ctx.deadline === null) ctx.deadline = Infinity;
    const input = parse(inputJson);
    return then.call(new PromiseCtor((resolve) => resolve(handler(input, ctx))), encode, (error) => stringify(describe(error)));
  };
  return { bind, settle };
})`;
