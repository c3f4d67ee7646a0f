import { canaryPoint, inCanary } from './canary-split';

describe('inCanary', () => {
  it('puts about `share` of the keys on the canary, and a key always on the same side', () => {
    const keys = Array.from({ length: 10_000 }, (_, i) => `key-${i}`);
    const canary = keys.filter((key) => inCanary(key, 0.1));
    expect(canary.length).toBeGreaterThan(900);
    expect(canary.length).toBeLessThan(1_100);
    expect(keys.filter((key) => inCanary(key, 0.1))).toEqual(canary);
  });

  it('is FNV-1a: the reference value of "a", and never 1', () => {
    expect(canaryPoint('a') * 2 ** 32).toBe(0xe40c292c);
    expect(canaryPoint('')).toBeLessThan(1);
  });

  it('sends nothing to a canary of share 0 and everything to one of share 1', () => {
    expect(inCanary('k', 0)).toBe(false);
    expect(inCanary('k', 1)).toBe(true);
  });
});
