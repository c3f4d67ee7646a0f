import type { ScriptActivationRecord } from '@flowgate/contracts';
import { countCall, emptyStats, judgeCanary, VersionStats } from './canary-judge';

const change = { at: '2026-01-01T00:00:00.000Z', by: 'processor:p1' };
const active: ScriptActivationRecord = {
  name: 'price', kind: 'route', stable: 1, changedAt: 'x', changedBy: 'token:abc', reason: 'canary',
  canary: { version: 2, share: 0.5, rollbackMargin: 0.1, minCalls: 10, promoteAfter: 30 },
};

function stats(calls: number, errors: number): VersionStats {
  const s = emptyStats();
  for (let i = 0; i < calls; i++) countCall(s, i < errors);
  return s;
}

describe('judgeCanary', () => {
  it('rolls back a canary failing more often than the stable version by more than the margin, after minCalls', () => {
    expect(judgeCanary(active, { stable: stats(50, 0), canary: stats(9, 9) }, change)).toBeUndefined();
    expect(judgeCanary(active, { stable: stats(50, 0), canary: stats(10, 2) }, change)).toEqual({
      decision: 'rollback',
      activation: { name: 'price', kind: 'route', stable: 1, changedAt: change.at, changedBy: change.by, reason: 'auto-rollback: canary v2 error rate 0.200 vs stable 0.000' },
    });
  });

  it('keeps a canary whose error rate is within the margin of the stable one', () => {
    expect(judgeCanary(active, { stable: stats(100, 15), canary: stats(10, 2) }, change)).toBeUndefined();
  });

  it('promotes after promoteAfter clean calls in a row, and never without promoteAfter', () => {
    expect(judgeCanary(active, { stable: stats(5, 0), canary: stats(29, 0) }, change)).toBeUndefined();
    expect(judgeCanary(active, { stable: stats(5, 0), canary: stats(30, 0) }, change)).toMatchObject({ decision: 'promote', activation: { stable: 2 } });
    expect(judgeCanary(active, { stable: stats(5, 0), canary: stats(30, 0) }, change)?.activation.canary).toBeUndefined();
    const manual = { ...active, canary: { ...active.canary!, promoteAfter: undefined } };
    expect(judgeCanary(manual, { stable: stats(5, 0), canary: stats(1_000, 0) }, change)).toBeUndefined();
  });

  it('counts the streak from the last error', () => {
    const canary = stats(40, 1); // the first call failed: 39 clean ones since
    expect(canary.cleanStreak).toBe(39);
    countCall(canary, true);
    expect(canary.cleanStreak).toBe(0);
  });

  it('has nothing to judge without a canary', () => {
    expect(judgeCanary({ ...active, canary: undefined }, { stable: stats(5, 5), canary: stats(0, 0) }, change)).toBeUndefined();
  });
});
