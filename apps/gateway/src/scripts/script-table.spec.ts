import type { ScriptActivationRecord, ScriptVersionRecord } from '@flowgate/contracts';
import { ScriptTable } from './script-table';

const version = (name: string, n: number, kind: 'route' | 'step' = 'step'): ScriptVersionRecord => ({
  name, version: n, source: 'export default (x) => x', manifest: { kind }, sha256: `sha-${n}`, uploadedAt: '2026-01-01T00:00:00.000Z', uploadedBy: 'token:abc',
});
const activation = (name: string, stable: number, extra: Partial<ScriptActivationRecord> = {}): ScriptActivationRecord => ({
  name, kind: 'step', stable, changedAt: '2026-01-01T00:00:00.000Z', changedBy: 'token:abc', reason: 'activate', ...extra,
});
const json = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('ScriptTable', () => {
  it('holds the versions and the activation of each script as the topic says', () => {
    const table = new ScriptTable();
    table.apply('version/geo/1', json(version('geo', 1)));
    table.apply('version/geo/2', json(version('geo', 2)));
    table.apply('active/geo', json(activation('geo', 1, { canary: { version: 2, share: 0.1, rollbackMargin: 0.05, minCalls: 50 } })));
    table.apply('version/alerts/1', json(version('alerts', 1, 'route')));

    expect(table.nextVersion('geo')).toBe(3);
    expect(table.nextVersion('new')).toBe(1);
    expect(table.latest('geo')?.version).toBe(2);
    expect(table.list()).toEqual([
      { name: 'alerts', kind: 'route', versions: [1] },
      { name: 'geo', kind: 'step', versions: [1, 2], stable: 1, canary: { version: 2, share: 0.1, rollbackMargin: 0.05, minCalls: 50 } },
    ]);
  });

  it('forgets what tombstones delete, so a deleted script starts again at version 1', () => {
    const table = new ScriptTable();
    table.apply('version/geo/1', json(version('geo', 1)));
    table.apply('active/geo', json(activation('geo', 1)));
    table.apply('active/geo', null);
    expect(table.summary('geo')).toEqual({ name: 'geo', kind: 'step', versions: [1] });
    table.apply('version/geo/1', null);
    expect(table.has('geo')).toBe(false);
    expect(table.nextVersion('geo')).toBe(1);
    expect(table.list()).toEqual([]);
  });

  it('refuses records that do not match their key, and keys it does not know, leaving the table as it was', () => {
    const table = new ScriptTable();
    expect(() => table.apply('version/geo/1', json(version('geo', 2)))).toThrow('record version/geo/1 is not version 1 of geo');
    expect(() => table.apply('active/geo', Buffer.from('{'))).toThrow(/record active\/geo is not JSON/);
    expect(() => table.apply('something/else', json({}))).toThrow('unknown key "something/else"');
    expect(table.has('geo')).toBe(false);
  });
});
