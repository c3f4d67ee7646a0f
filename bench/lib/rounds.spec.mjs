import { describe, expect, it } from '@jest/globals';
import { judge, median, medianRow, pairedRatios, perRound, rotation, spread } from './rounds.mjs';

describe('bench rounds: median, spread and judging a target over rounds', () => {
  it('takes the middle value, or the mean of the middle two, ignoring rounds without a figure', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7, undefined, NaN, 1, 4])).toBe(4);
    expect(median([])).toBeUndefined();
  });

  it('gives the spread as min–max and counts only the rounds that produced the figure', () => {
    expect(spread([2.5, 0.9, 1.2, undefined])).toEqual({ median: 1.2, min: 0.9, max: 2.5, n: 3 });
    expect(spread([undefined])).toEqual({ median: undefined, min: undefined, max: undefined, n: 0 });
  });

  it('rotates the order by one a round, so every system goes first once in as many rounds as there are systems', () => {
    const systems = ['flowgate', 'nest', 'fastify'];
    expect([0, 1, 2, 3].map((round) => rotation(systems, round))).toEqual([
      ['flowgate', 'nest', 'fastify'],
      ['nest', 'fastify', 'flowgate'],
      ['fastify', 'flowgate', 'nest'],
      ['flowgate', 'nest', 'fastify'],
    ]);
    expect(rotation([], 2)).toEqual([]);
  });

  it('judges a target on the median and says in how many rounds it was met on its own', () => {
    const atMost = (bound) => (v) => v <= bound;
    // One noisy round over the bound does not fail the target...
    expect(judge([0.7, 0.95, 0.72], atMost(0.75))).toMatchObject({ met: true, k: 2, n: 3, median: 0.72 });
    // ...and one lucky round does not pass it.
    expect(judge([0.8, 0.7, 0.9], atMost(0.75))).toMatchObject({ met: false, k: 1, n: 3, median: 0.8 });
    // A round without the figure (a system that exited) counts in neither.
    expect(judge([undefined, 0.5], atMost(0.75))).toMatchObject({ met: true, k: 1, n: 1 });
    expect(judge([undefined, undefined], atMost(0.75))).toMatchObject({ met: false, k: 0, n: 0 });
  });

  it('pairs the rounds of two series for ratios, and picks per round from rows', () => {
    const rows = [{ round: 1, v: 20 }, { round: 0, v: 10 }];
    const flowgate = perRound(rows, 3, (r) => r.v);
    expect(flowgate).toEqual([10, 20, undefined]);
    expect(pairedRatios(flowgate, [20, 0, 5])).toEqual([0.5, undefined, undefined]);
  });

  it('finds the row holding the median figure (the lower middle for an even count)', () => {
    const rows = [{ round: 0, rate: 2000 }, { round: 1, rate: 1000 }, { round: 2, rate: 3000 }, { round: 3, rate: NaN }];
    expect(medianRow(rows, (r) => r.rate)).toEqual({ round: 0, rate: 2000 });
    expect(medianRow(rows.slice(0, 2), (r) => r.rate)).toEqual({ round: 1, rate: 1000 });
    expect(medianRow([], (r) => r.rate)).toBeUndefined();
  });
});
