import { routeDeclarationErrors, SCRIPT_LIMIT_DEFAULTS, SCRIPT_LIMIT_MAXIMA, type RouteDeclaration, type ScriptManifest } from '@flowgate/contracts';

/** The largest source an upload may carry (bytes of UTF-8): scripts are rules, not applications. */
export const SCRIPT_MAX_SOURCE_BYTES = 256 * 1024;
/** A sandbox needs this much for the language itself before the script allocates anything. */
export const SCRIPT_MIN_MEMORY_MB = 4;
/** `capabilities.http.timeoutMs`: default and the most a manifest may ask for. */
export const SCRIPT_HTTP_TIMEOUT_DEFAULT_MS = 2_000;
export const SCRIPT_HTTP_TIMEOUT_MAX_MS = 10_000;
/** A script may keep this many examples: each one runs on every upload and every swap. */
export const SCRIPT_MAX_EXAMPLES = 100;

const MANIFEST_KEYS = ['kind', 'route', 'capabilities', 'limits', 'examples'];
const CAPABILITY_KEYS = ['http', 'kv', 'state', 'emit', 'log'];
const EXAMPLE_KEYS = ['input', 'context', 'state', 'kv', 'output', 'error'];
const HOST_PATTERN = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
const NAME = /^[A-Za-z0-9._-]{1,100}$/;

/** The budgets a script runs with: its manifest's, or the defaults. */
export function scriptLimits(manifest: ScriptManifest): { cpuMs: number; memoryMb: number } {
  return { cpuMs: manifest.limits?.cpuMs ?? SCRIPT_LIMIT_DEFAULTS.cpuMs, memoryMb: manifest.limits?.memoryMb ?? SCRIPT_LIMIT_DEFAULTS.memoryMb };
}

/**
 * Every problem of an uploaded manifest, each naming the field ([] = sound). `name` is the
 * script's: a route script's route carries it.
 */
export function scriptManifestErrors(manifest: unknown, name: string): string[] {
  if (!isObject(manifest)) return ['manifest must be an object'];
  const errors = unknownKeys(manifest, MANIFEST_KEYS, 'manifest');
  const kind = manifest['kind'];
  if (kind !== 'route' && kind !== 'step') errors.push(`kind must be "route" or "step", not ${JSON.stringify(kind)}`);
  errors.push(...routeErrors(kind, manifest['route'], name));
  errors.push(...capabilityErrors(kind, manifest['capabilities']));
  errors.push(...limitErrors(manifest['limits']));
  errors.push(...exampleErrors(manifest['examples'], manifest['capabilities']));
  return errors;
}

function routeErrors(kind: unknown, route: unknown, name: string): string[] {
  if (kind !== 'route') return route === undefined ? [] : ['route is only for scripts of kind "route"'];
  if (!isObject(route)) return ['route must be an object (the route the script serves: summary, keyField, bodySchema…)'];
  const errors = route['topic'] === undefined ? [] : ['route.topic is not allowed: route scripts serve on the shared requests topic'];
  if (route['name'] !== undefined && route['name'] !== name) errors.push(`route.name must be left out (the route is named after the script, ${name})`);
  return [...errors, ...routeDeclarationErrors({ ...route, name } as unknown as RouteDeclaration)];
}

function capabilityErrors(kind: unknown, capabilities: unknown): string[] {
  if (capabilities === undefined) return [];
  if (!isObject(capabilities)) return ['capabilities must be an object'];
  const errors = unknownKeys(capabilities, CAPABILITY_KEYS, 'capabilities');
  const { http, kv, state, emit, log } = capabilities;
  if (http !== undefined) {
    if (!isObject(http)) errors.push('capabilities.http must be an object { hosts, timeoutMs? }');
    else {
      errors.push(...unknownKeys(http, ['hosts', 'timeoutMs'], 'capabilities.http'));
      const hosts = http['hosts'];
      if (!Array.isArray(hosts) || hosts.length === 0) errors.push('capabilities.http.hosts must list at least one host name');
      else {
        for (const host of hosts) {
          if (typeof host !== 'string' || !HOST_PATTERN.test(host)) errors.push(`capabilities.http.hosts: ${JSON.stringify(host)} is not a lower-case host name or *.suffix`);
        }
      }
      const timeoutMs = http['timeoutMs'];
      if (timeoutMs !== undefined && !isWholeIn(timeoutMs, 1, SCRIPT_HTTP_TIMEOUT_MAX_MS)) errors.push(`capabilities.http.timeoutMs must be a whole number from 1 to ${SCRIPT_HTTP_TIMEOUT_MAX_MS}`);
    }
  }
  if (kv !== undefined) {
    if (!isObject(kv)) errors.push('capabilities.kv must be an object { namespace? }');
    else {
      errors.push(...unknownKeys(kv, ['namespace'], 'capabilities.kv'));
      if (kv['namespace'] !== undefined && (typeof kv['namespace'] !== 'string' || !NAME.test(kv['namespace']))) errors.push('capabilities.kv.namespace must be 1 to 100 characters of A-Z a-z 0-9 . _ -');
    }
  }
  if (state !== undefined) {
    if (kind !== 'step') errors.push('capabilities.state is only for scripts of kind "step" (it is the keyed state of a job step)');
    errors.push(...nameListErrors(state, 'stores', 'capabilities.state'));
  }
  if (emit !== undefined) errors.push(...nameListErrors(emit, 'topics', 'capabilities.emit'));
  if (log !== undefined && typeof log !== 'boolean') errors.push('capabilities.log must be true or false');
  return errors;
}

function nameListErrors(value: unknown, field: string, where: string): string[] {
  if (!isObject(value)) return [`${where} must be an object { ${field} }`];
  const errors = unknownKeys(value, [field], where);
  const list = value[field];
  if (!Array.isArray(list) || list.length === 0) return [...errors, `${where}.${field} must list at least one name`];
  for (const item of list) if (typeof item !== 'string' || !NAME.test(item)) errors.push(`${where}.${field}: ${JSON.stringify(item)} must be 1 to 100 characters of A-Z a-z 0-9 . _ -`);
  return errors;
}

function limitErrors(limits: unknown): string[] {
  if (limits === undefined) return [];
  if (!isObject(limits)) return ['limits must be an object { cpuMs?, memoryMb? }'];
  const errors = unknownKeys(limits, ['cpuMs', 'memoryMb'], 'limits');
  if (limits['cpuMs'] !== undefined && !isWholeIn(limits['cpuMs'], 1, SCRIPT_LIMIT_MAXIMA.cpuMs)) errors.push(`limits.cpuMs must be a whole number from 1 to ${SCRIPT_LIMIT_MAXIMA.cpuMs}`);
  if (limits['memoryMb'] !== undefined && !isWholeIn(limits['memoryMb'], SCRIPT_MIN_MEMORY_MB, SCRIPT_LIMIT_MAXIMA.memoryMb)) {
    errors.push(`limits.memoryMb must be a whole number from ${SCRIPT_MIN_MEMORY_MB} to ${SCRIPT_LIMIT_MAXIMA.memoryMb}`);
  }
  return errors;
}

function exampleErrors(examples: unknown, capabilities: unknown): string[] {
  if (examples === undefined) return [];
  if (!Array.isArray(examples)) return ['examples must be a list'];
  if (examples.length > SCRIPT_MAX_EXAMPLES) return [`examples: at most ${SCRIPT_MAX_EXAMPLES}`];
  const stores: unknown = isObject(capabilities) && isObject(capabilities['state']) ? capabilities['state']['stores'] : undefined;
  const errors: string[] = [];
  examples.forEach((example: unknown, i) => {
    const at = `examples[${i}]`;
    if (!isObject(example)) return void errors.push(`${at} must be an object`);
    errors.push(...unknownKeys(example, EXAMPLE_KEYS, at));
    if (!('input' in example)) errors.push(`${at}.input is missing`);
    if ('output' in example === 'error' in example) errors.push(`${at} must give exactly one of output (the expected result) or error (the expected RouteError code)`);
    if (example['error'] !== undefined && typeof example['error'] !== 'string') errors.push(`${at}.error must be a RouteError code (a string)`);
    const context = example['context'];
    if (context !== undefined) {
      if (!isObject(context)) errors.push(`${at}.context must be an object { key?, route?, callerId? }`);
      else {
        errors.push(...unknownKeys(context, ['key', 'route', 'callerId'], `${at}.context`));
        for (const [field, value] of Object.entries(context)) if (typeof value !== 'string') errors.push(`${at}.context.${field} must be a string`);
      }
    }
    const state = example['state'];
    if (state !== undefined) {
      if (!isObject(state)) errors.push(`${at}.state must be an object of store name to value`);
      else {
        for (const store of Object.keys(state)) {
          if (!Array.isArray(stores) || !stores.includes(store)) errors.push(`${at}.state.${store}: the manifest declares no such store in capabilities.state.stores`);
        }
      }
    }
    const kv = example['kv'];
    if (kv !== undefined && (!isObject(kv) || !Object.values(kv).every((v) => typeof v === 'string'))) errors.push(`${at}.kv must be an object of string keys to string values`);
  });
  return errors;
}

function unknownKeys(value: Record<string, unknown>, known: string[], where: string): string[] {
  const unknown = Object.keys(value).filter((key) => !known.includes(key));
  return unknown.length === 0 ? [] : [`${where}: unknown ${unknown.length === 1 ? 'key' : 'keys'} ${unknown.map((k) => JSON.stringify(k)).join(', ')} (known: ${known.join(', ')})`];
}

function isWholeIn(value: unknown, min: number, max: number): boolean {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
