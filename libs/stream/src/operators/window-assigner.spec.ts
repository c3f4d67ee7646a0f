import { describeWindowSpec, isWindowStart, sliding, tumbling, windowStarts } from './window-assigner';

describe('window assignment', () => {
  it('puts an event in exactly one tumbling window, aligned to the epoch', () => {
    const spec = tumbling(10);
    expect([0, 9, 10, 19, 20].map((ts) => windowStarts(spec, ts))).toEqual([[0], [0], [10], [10], [20]]);
  });

  it('aligns negative times downwards', () => {
    expect(windowStarts(tumbling(10), -1)).toEqual([-10]);
    expect(windowStarts(sliding(10, 5), -1)).toEqual([-10, -5]);
  });

  it('puts an event in size / slide sliding windows, ascending', () => {
    const spec = sliding(10, 5);
    expect(windowStarts(spec, 12)).toEqual([5, 10]);
    // At a boundary: 10 opens [10, 20) and is past the end of [0, 10).
    expect(windowStarts(spec, 10)).toEqual([5, 10]);
    expect(windowStarts(spec, 9)).toEqual([0, 5]);
    expect(windowStarts(sliding(30, 10), 25)).toEqual([0, 10, 20]);
  });

  it('handles a size that is not a multiple of the slide', () => {
    // Windows [0,7), [3,10), [6,13), ...: 6 is in all three, 7 is past the end of [0,7).
    expect(windowStarts(sliding(7, 3), 6)).toEqual([0, 3, 6]);
    expect(windowStarts(sliding(7, 3), 7)).toEqual([3, 6]);
  });

  it('is tumbling when the slide equals the size', () => {
    expect(windowStarts(sliding(10, 10), 15)).toEqual(windowStarts(tumbling(10), 15));
  });

  it('refuses sizes that are not positive whole ms and slides longer than the size', () => {
    expect(() => tumbling(0)).toThrow(/size must be a positive whole number/);
    expect(() => tumbling(1.5)).toThrow(/size/);
    expect(() => sliding(10, 0)).toThrow(/slide must be a positive whole number/);
    expect(() => sliding(10, 11)).toThrow(/must not exceed its size/);
    expect(() => windowStarts(tumbling(10), NaN)).toThrow(/finite/);
  });

  it('tells window starts of a spec from other numbers', () => {
    expect(isWindowStart(sliding(10, 5), 15)).toBe(true);
    expect(isWindowStart(sliding(10, 5), 12)).toBe(false);
    expect(isWindowStart(tumbling(10), -20)).toBe(true);
  });

  it('describes specs for people', () => {
    expect(describeWindowSpec(tumbling(5_000))).toBe('5 s tumbling');
    expect(describeWindowSpec(sliding(10_000, 2_500))).toBe('10 s sliding every 2500 ms');
  });
});
