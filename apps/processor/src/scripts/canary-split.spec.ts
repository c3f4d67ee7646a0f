import { canaryPoint, inCanary } from './canary-split';

describe('inCanary', () => {
  it('puts about `share` of the keys on the canary, and a key always on the same side', () => {
    const keys = Array.from({ length: 10_000 }, (_, i) => `key-${i}`);
    const canary = keys.filter((key) => inCanary(key, 0.1));
    expect(canary.length).toBeGreaterThan(900);
    expect(canary.length).toBeLessThan(1_100);
    expect(keys.filter((key) => inCanary(key, 0.1))).toEqual(canary);
  });

  it('maps into [0, 1) and spreads keys that differ only at their end', () => {
    const points = Array.from({ length: 1_000 }, (_, i) => canaryPoint(`c${i}`));
    expect(Math.min(...points)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...points)).toBeLessThan(1);
    // Each tenth of [0, 1) gets its share (100 ± 40).
    const deciles = Array.from({ length: 10 }, (_, d) => points.filter((p) => Math.floor(p * 10) === d).length);
    for (const count of deciles) expect(Math.abs(count - 100)).toBeLessThan(40);
  });

  it('sends nothing to a canary of share 0 and everything to one of share 1', () => {
    expect(inCanary('k', 0)).toBe(false);
    expect(inCanary('k', 1)).toBe(true);
  });
});
