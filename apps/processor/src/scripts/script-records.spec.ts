import { scriptActivationKey, scriptVersionKey } from '@flowgate/contracts';
import { decodeScriptRecord, sameActivation } from './script-records';

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const version = { name: 'price', version: 2, source: 'export default (x) => x', manifest: { kind: 'route' }, sha256: 'ab', uploadedAt: 't', uploadedBy: 'token:x' };
const active = { name: 'price', kind: 'route', stable: 1, changedAt: 't', changedBy: 'token:x', reason: 'activate' };

describe('decodeScriptRecord', () => {
  it('decodes versions, activations and their tombstones', () => {
    expect(decodeScriptRecord(scriptVersionKey('price', 2), json(version))).toEqual({ type: 'version', name: 'price', version: 2, record: version });
    expect(decodeScriptRecord(scriptActivationKey('price'), json(active))).toEqual({ type: 'active', name: 'price', record: active });
    expect(decodeScriptRecord(scriptActivationKey('price'), null)).toEqual({ type: 'active', name: 'price', record: null });
  });

  it('passes over keys it does not know and refuses values that do not match their key', () => {
    expect(decodeScriptRecord('lock/price', json({}))).toBeUndefined();
    expect(() => decodeScriptRecord(scriptVersionKey('price', 3), json(version))).toThrow(/not version 3 of price/);
    expect(() => decodeScriptRecord(scriptActivationKey('other'), json(active))).toThrow(/does not name script other/);
    expect(() => decodeScriptRecord(scriptActivationKey('price'), json({ ...active, canary: { version: 2, share: 1.5, rollbackMargin: 0.1, minCalls: 5 } }))).toThrow(/malformed canary/);
    expect(() => decodeScriptRecord(scriptActivationKey('price'), Buffer.from('{'))).toThrow(SyntaxError);
  });
});

describe('sameActivation', () => {
  it('tells a record read twice from a new activation', () => {
    expect(sameActivation(active as never, JSON.parse(JSON.stringify(active)))).toBe(true);
    expect(sameActivation(active as never, { ...active, changedAt: 'u' } as never)).toBe(false);
    expect(sameActivation(undefined, undefined)).toBe(true);
    expect(sameActivation(active as never, undefined)).toBe(false);
  });
});
