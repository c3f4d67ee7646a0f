import { SCRIPT_LIMIT_DEFAULTS, SCRIPT_LIMIT_MAXIMA, type ScriptManifest } from '@flowgate/contracts';
import { hostAllowed } from './http-capability';
import { scriptLimits, scriptManifestErrors } from './script-manifest';
import { scriptSha256 } from './script-sha256';

describe('scriptManifestErrors', () => {
  it('finds nothing wrong with sound route and step manifests', () => {
    expect(scriptManifestErrors({ kind: 'route', route: { summary: 'Prices an order', keyField: 'customer', bodySchema: { type: 'object' } }, capabilities: { kv: {}, http: { hosts: ['api.example.com', '*.rates.example'], timeoutMs: 500 }, log: true }, limits: { cpuMs: 100, memoryMb: 64 }, examples: [{ input: { qty: 1 }, output: 2 }, { input: {}, error: 'bad-qty' }] }, 'quote')).toEqual([]);
    expect(scriptManifestErrors({ kind: 'step', capabilities: { state: { stores: ['totals'] }, emit: { topics: ['alerts'] } }, examples: [{ input: 1, state: { totals: 3 }, kv: { a: 'b' }, context: { key: 'k' }, output: null }] }, 'sum')).toEqual([]);
  });

  it('names an unknown capability', () => {
    expect(scriptManifestErrors({ kind: 'step', capabilities: { sql: { url: 'x' }, shell: true } }, 's')).toEqual(['capabilities: unknown keys "sql", "shell" (known: http, kv, state, emit, log)']);
  });

  it('fills in the route name and reuses the route declaration rules; refuses a topic', () => {
    expect(scriptManifestErrors({ kind: 'route', route: { summary: '', topic: 'orders', maxBodyBytes: 0 } }, 'quote')).toEqual([
      'route.topic is not allowed: route scripts serve on the shared requests topic',
      'route quote: summary must be a non-empty string',
      'route quote: maxBodyBytes must be a whole number of at least 1',
    ]);
    expect(scriptManifestErrors({ kind: 'route' }, 'Bad_Name')[0]).toMatch(/route must be an object/);
    expect(scriptManifestErrors({ kind: 'route', route: { summary: 's' } }, 'Bad_Name')).toEqual([expect.stringMatching(/route name "Bad_Name" must be/)]);
  });

  it('keeps routes to route scripts and state to step scripts', () => {
    expect(scriptManifestErrors({ kind: 'step', route: { summary: 's' } }, 's')).toEqual(['route is only for scripts of kind "route"']);
    expect(scriptManifestErrors({ kind: 'route', route: { summary: 's' }, capabilities: { state: { stores: ['a'] } } }, 'r')).toEqual([expect.stringMatching(/capabilities.state is only for scripts of kind "step"/)]);
  });

  it('refuses limits beyond the maxima, and a kind it does not know', () => {
    expect(scriptManifestErrors({ kind: 'job', limits: { cpuMs: SCRIPT_LIMIT_MAXIMA.cpuMs + 1, memoryMb: 1, wallMs: 3 } }, 's')).toEqual([
      'kind must be "route" or "step", not "job"',
      'limits: unknown key "wallMs" (known: cpuMs, memoryMb)',
      `limits.cpuMs must be a whole number from 1 to ${SCRIPT_LIMIT_MAXIMA.cpuMs}`,
      `limits.memoryMb must be a whole number from 4 to ${SCRIPT_LIMIT_MAXIMA.memoryMb}`,
    ]);
    expect(scriptManifestErrors({ kind: 'step', limits: SCRIPT_LIMIT_MAXIMA }, 's')).toEqual([]);
  });

  it('checks the shape of http, kv, state and emit grants', () => {
    expect(scriptManifestErrors({ kind: 'step', capabilities: { http: { hosts: ['API.example.com', 'http://x'], timeoutMs: 20_000 }, kv: { namespace: 'a b' }, state: { stores: [] }, emit: { topics: [1] }, log: 'yes' } }, 's')).toEqual([
      'capabilities.http.hosts: "API.example.com" is not a lower-case host name or *.suffix',
      'capabilities.http.hosts: "http://x" is not a lower-case host name or *.suffix',
      'capabilities.http.timeoutMs must be a whole number from 1 to 10000',
      'capabilities.kv.namespace must be 1 to 100 characters of A-Z a-z 0-9 . _ -',
      'capabilities.state.stores must list at least one name',
      'capabilities.emit.topics: 1 must be 1 to 100 characters of A-Z a-z 0-9 . _ -',
      'capabilities.log must be true or false',
    ]);
  });

  it('checks the examples: input, exactly one of output and error, declared stores', () => {
    expect(scriptManifestErrors({ kind: 'step', examples: [{ output: 1 }, { input: 1, output: 1, error: 'x' }, { input: 1 }, { input: 1, output: 1, state: { s: 1 }, kv: { a: 1 }, context: { key: 2 }, extra: 1 }] }, 's')).toEqual([
      'examples[0].input is missing',
      'examples[1] must give exactly one of output (the expected result) or error (the expected RouteError code)',
      'examples[2] must give exactly one of output (the expected result) or error (the expected RouteError code)',
      'examples[3]: unknown key "extra" (known: input, context, state, kv, output, error)',
      'examples[3].context.key must be a string',
      'examples[3].state.s: the manifest declares no such store in capabilities.state.stores',
      'examples[3].kv must be an object of string keys to string values',
    ]);
  });

  it('refuses what is not a manifest', () => {
    expect(scriptManifestErrors(null, 's')).toEqual(['manifest must be an object']);
    expect(scriptManifestErrors({ kind: 'step', source: 'x' }, 's')).toEqual(['manifest: unknown key "source" (known: kind, route, capabilities, limits, examples)']);
  });
});

describe('scriptLimits', () => {
  it('falls back to the defaults', () => {
    expect(scriptLimits({ kind: 'step' })).toEqual(SCRIPT_LIMIT_DEFAULTS);
    expect(scriptLimits({ kind: 'step', limits: { cpuMs: 7 } })).toEqual({ cpuMs: 7, memoryMb: SCRIPT_LIMIT_DEFAULTS.memoryMb });
  });
});

describe('scriptSha256', () => {
  it('does not depend on the manifest key order, and changes with source or manifest', () => {
    const a: ScriptManifest = { kind: 'step', limits: { cpuMs: 5, memoryMb: 8 } };
    const b = { limits: { memoryMb: 8, cpuMs: 5 }, kind: 'step' } as ScriptManifest;
    expect(scriptSha256('src', a)).toBe(scriptSha256('src', b));
    expect(scriptSha256('src', a)).toMatch(/^[0-9a-f]{64}$/);
    expect(scriptSha256('src2', a)).not.toBe(scriptSha256('src', a));
    expect(scriptSha256('src', { kind: 'step' })).not.toBe(scriptSha256('src', a));
  });
});

describe('hostAllowed', () => {
  it.each([
    ['api.example.com', ['api.example.com'], true],
    ['API.example.com', ['api.example.com'], true],
    ['evil.com', ['api.example.com'], false],
    ['api.example.com.evil.com', ['api.example.com'], false],
    ['a.example.com', ['*.example.com'], true],
    ['a.b.example.com', ['*.example.com'], true],
    ['example.com', ['*.example.com'], false],
    ['badexample.com', ['*.example.com'], false],
  ])('%s against %j: %s', (host, hosts, allowed) => {
    expect(hostAllowed(host, hosts)).toBe(allowed);
  });
});
