import { addHistograms, intervalQuantile, perSecond } from './rates';

describe('perSecond', () => {
  it('divides the counter delta by the seconds between readings', () => {
    expect(perSecond(100, 150, 2)).toBe(25);
  });
  it('is 0 without a previous reading or elapsed time', () => {
    expect(perSecond(undefined, 150, 1)).toBe(0);
    expect(perSecond(100, 150, 0)).toBe(0);
  });
  it('treats a counter that went down as reset: its whole value is new', () => {
    expect(perSecond(500, 20, 1)).toBe(20);
  });
});

describe('intervalQuantile', () => {
  const bounds = [0.001, 0.01, 0.1, 1];
  it('interpolates within the bucket holding the rank, over the interval only', () => {
    const previous = { counts: [10, 10, 10, 10], sum: 0.005, count: 10 };
    // 100 new observations: 50 in (0.001, 0.01], 50 in (0.01, 0.1].
    const current = { counts: [10, 60, 110, 110], sum: 3, count: 110 };
    expect(intervalQuantile(bounds, previous, current, 0.5)).toBeCloseTo(0.01);
    expect(intervalQuantile(bounds, previous, current, 0.99)).toBeCloseTo(0.01 + 0.09 * (49 / 50));
  });
  it('is undefined when nothing was observed in the interval', () => {
    const h = { counts: [1, 1, 1, 1], sum: 0, count: 1 };
    expect(intervalQuantile(bounds, h, h, 0.99)).toBeUndefined();
  });
  it('reports the last bound for observations above it', () => {
    expect(intervalQuantile(bounds, undefined, { counts: [0, 0, 0, 0], sum: 50, count: 5 }, 0.99)).toBe(1);
  });
  it('starts over after a reset', () => {
    const previous = { counts: [0, 0, 100, 100], sum: 5, count: 100 };
    expect(intervalQuantile(bounds, previous, { counts: [4, 4, 4, 4], sum: 0, count: 4 }, 0.5)).toBeCloseTo(0.0005);
  });
});

describe('addHistograms', () => {
  it('adds counts, sums and counts bucket by bucket', () => {
    expect(addHistograms([{ counts: [1, 2], sum: 1, count: 2 }, undefined, { counts: [3, 4], sum: 2, count: 4 }])).toEqual({ counts: [4, 6], sum: 3, count: 6 });
    expect(addHistograms([undefined])).toBeUndefined();
  });
});

describe('histograms cut after their last full bucket', () => {
  it('read the missing buckets as the count', () => {
    const bounds = [0.001, 0.01, 0.1, 1];
    // 10 observations all at most 1 ms, then 10 more at most 10 ms: each record stops where the count is reached.
    expect(intervalQuantile(bounds, { counts: [10], sum: 0, count: 10 }, { counts: [10, 20], sum: 0, count: 20 }, 0.5)).toBeCloseTo(0.001);
    expect(addHistograms([{ counts: [2], sum: 0, count: 2 }, { counts: [1, 3], sum: 0, count: 3 }])).toEqual({ counts: [3, 5], sum: 0, count: 5 });
  });
});
