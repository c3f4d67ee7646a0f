import { parseIdempotencyKey } from './idempotency-key';

describe('parseIdempotencyKey', () => {
  it.each([
    [undefined, undefined],
    ['8e03978e-40d5-43e8-bc93-6894a57f9324', '8e03978e-40d5-43e8-bc93-6894a57f9324'],
    ['"8e03978e-40d5"', '8e03978e-40d5'],
    [' order:42/retry ', 'order:42/retry'],
    [['single'], 'single'],
    ['k'.repeat(255), 'k'.repeat(255)],
  ])('reads %p', (header, key) => {
    expect(parseIdempotencyKey(header)).toEqual(key === undefined ? { ok: true } : { ok: true, key });
  });

  it.each([[''], ['""'], ['has space'], ['k'.repeat(256)], ['"a"b"'], ['back\\slash'], ['ünïcode'], [['a', 'b']]])('refuses %p', (header) => {
    expect(parseIdempotencyKey(header)).toEqual({ ok: false, detail: expect.stringMatching(/Idempotency-Key/) });
  });
});
