import type { ScriptManifest } from '@flowgate/contracts';
import { checkScript } from './check-script';
import { ScriptEngine } from './script-engine';
import { SCRIPT_MAX_SOURCE_BYTES } from './script-manifest';

let engine: ScriptEngine;
beforeAll(async () => {
  engine = await ScriptEngine.create();
});
afterAll(() => engine.close());

const check = (source: string, manifest: Partial<ScriptManifest>) => checkScript(engine, { name: 'price', version: 3, source, manifest: { kind: 'step', ...manifest } });

const PRICE = `export default async function (input, ctx) {
  if (!(input.qty >= 1)) throw new RouteError('bad-qty', 'qty must be at least 1', 422);
  const discount = Number((await flowgate.kv.get('discount:' + ctx.key)) ?? 0);
  const total = input.qty * input.price * (1 - discount);
  flowgate.state.put('last', total);
  flowgate.emit('priced', ctx.key ?? 'anonymous', total);
  return { total };
}`;
const CAPS = { kv: {}, state: { stores: ['last'] }, emit: { topics: ['priced'] } };

describe('checkScript', () => {
  it('passes a script whose examples hold, with their kv, state and context', async () => {
    await expect(
      check(PRICE, {
        capabilities: CAPS,
        examples: [
          { input: { qty: 2, price: 10 }, output: { total: 20 } },
          { input: { qty: 2, price: 10 }, context: { key: 'vip' }, kv: { 'discount:vip': '0.5' }, state: { last: 1 }, output: { total: 10 } },
          { input: { qty: 0, price: 10 }, error: 'bad-qty' },
        ],
      }),
    ).resolves.toEqual([]);
  });

  it('names the example, the expected and the actual output of a wrong example', async () => {
    await expect(check(PRICE, { capabilities: CAPS, examples: [{ input: { qty: 1, price: 1 }, output: { total: 1 } }, { input: { qty: 3, price: 2 }, output: { total: 5 } }] })).resolves.toEqual([
      'example 1: expected output {"total":5}, got output {"total":6}',
    ]);
  });

  it('reports an expected error that did not come, and an error that was not expected', async () => {
    await expect(check(PRICE, { capabilities: CAPS, examples: [{ input: { qty: 1, price: 1 }, error: 'bad-qty' }, { input: { qty: 0 }, output: { total: 0 } }] })).resolves.toEqual([
      'example 0: expected RouteError bad-qty, got output {"total":1}',
      'example 1: expected output {"total":0}, got RouteError bad-qty (qty must be at least 1)',
    ]);
  });

  it('gives the examples of a route script its route name in ctx.route', async () => {
    const manifest = { kind: 'route' as const, route: { summary: 'Echoes its route' }, examples: [{ input: null, output: 'price' }] };
    await expect(checkScript(engine, { name: 'price', version: 1, source: `export default (input, ctx) => ctx.route`, manifest })).resolves.toEqual([]);
  });

  it('refuses a syntax error', async () => {
    await expect(check('export default function (input) { return input +* 1 }', {})).resolves.toEqual([expect.stringMatching(/^script price@3 failed to load: SyntaxError: .*price\.js:1/)]);
  });

  it('refuses a script that throws at load', async () => {
    await expect(check(`const table = JSON.parse('{'); export default () => table`, {})).resolves.toEqual([expect.stringMatching(/failed to load: SyntaxError: expecting property name/)]);
  });

  it('refuses an unknown capability before loading anything', async () => {
    await expect(check('this is not even JavaScript', { capabilities: { sql: {} } as ScriptManifest['capabilities'] })).resolves.toEqual(['capabilities: unknown key "sql" (known: http, kv, state, emit, log)']);
  });

  it('refuses a source over the size limit', async () => {
    await expect(check(`export default () => 1 //${'x'.repeat(SCRIPT_MAX_SOURCE_BYTES)}`, {})).resolves.toEqual([expect.stringMatching(new RegExp(`over the ${SCRIPT_MAX_SOURCE_BYTES} allowed`))]);
  });

  it('refuses http while running examples', async () => {
    const source = `export default async () => (await flowgate.http.fetch('https://api.example.com/rates')).body`;
    await expect(check(source, { capabilities: { http: { hosts: ['api.example.com'] } }, examples: [{ input: null, output: 'x' }] })).resolves.toEqual([
      expect.stringMatching(/^example 0: expected output "x", got an error: .*no network here \(GET https:\/\/api\.example\.com\/rates refused/),
    ]);
  });

  it('reports an example over its budget', async () => {
    await expect(check(`export default () => { for (;;) {} }`, { limits: { cpuMs: 10 }, examples: [{ input: 1, output: 1 }] })).resolves.toEqual([
      'example 0: expected output 1, got a budget failure: script price@3 used more than its 10 ms of CPU',
    ]);
  });
});
