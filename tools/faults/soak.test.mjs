// The soak's trend verdict on made-up per-minute series.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { slope, trend, TREND_LIMITS } from './soak.mjs';

describe('trend', () => {
  it('fits a least-squares slope', () => {
    assert.equal(slope([1, 2, 3, 4]), 1);
    assert.equal(slope([5, 5, 5]), 0);
  });

  it('flags a steady climb (a leak)', () => {
    const rss = Array.from({ length: 30 }, (_, m) => 150 + 2 * m); // +2 MiB a minute
    assert.equal(trend(rss, TREND_LIMITS.rssMiB).upward, true);
  });

  it('passes a flat series with noise, and growth during the warm-up third', () => {
    const flat = Array.from({ length: 30 }, (_, m) => (m < 10 ? 100 + 5 * m : 150) + (m % 3) * 3);
    assert.equal(trend(flat, TREND_LIMITS.rssMiB).upward, false);
  });

  it('passes a single late spike (the fitted line rises, the medians of the quarters do not)', () => {
    const spike = [...Array.from({ length: 29 }, () => 100), 180];
    assert.equal(trend(spike, TREND_LIMITS.rssMiB).upward, false);
  });

  it('does not judge fewer than 6 minutes', () => {
    assert.deepEqual(trend([1, 50, 100, 200, 400], TREND_LIMITS.rssMiB), { judged: false });
  });

  it('ignores growth below the absolute floor (a few descriptors are not a leak)', () => {
    const fds = Array.from({ length: 30 }, (_, m) => 30 + Math.floor(m / 5));
    assert.equal(trend(fds, TREND_LIMITS.fds).upward, false);
  });
});
