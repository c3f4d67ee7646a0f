/**
 * Global code run in every sandbox before the script's module: it builds `flowgate` (only the
 * granted capabilities) and `RouteError`, and returns the factory of the function the host calls
 * per record. The host reaches it through one function, `hostCall(op, argsJson)`, held only in
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
  const asyncCall = (op, args) => {
    let promise;
    try {
      promise = hostCall(op, stringify(args));
    } catch (error) {
      return PromiseCtor.reject(error);
    }
    return then.call(promise, (out) => (out === undefined ? undefined : parse(out)));
  };

  class RouteError extends Error {
    constructor(code, message, status) {
      super(message === undefined ? String(code) : String(message));
      this.name = 'RouteError';
      this.code = String(code);
      if (status !== undefined) this.status = status;
    }
  }

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

  return (handler) => (inputJson, contextJson) => {
    const ctx = parse(contextJson);
    if (ctx.deadline === null) ctx.deadline = Infinity;
    const input = parse(inputJson);
    return then.call(new PromiseCtor((resolve) => resolve(handler(input, ctx))), encode, (error) => stringify(describe(error)));
  };
})`;
