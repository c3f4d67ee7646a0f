import { exactlyOnceProblems } from './exactly-once';

describe('exactlyOnceProblems', () => {
  it('accepts answers that count each increment once, with a refused request written or not', () => {
    expect(exactlyOnceProblems([1, 2, 3], 3)).toEqual([]);
    expect(exactlyOnceProblems([1, null, 2, 3], 3)).toEqual([]); // the refused one was not written
    expect(exactlyOnceProblems([1, null, 3], 3)).toEqual([]); // it was, before the next one
    expect(exactlyOnceProblems([1, null, 2, 4], 4)).toEqual([]); // it was, later
    expect(exactlyOnceProblems([1, null], 2)).toEqual([]); // it was, after the last answer
  });

  it('names a double count, a lost increment and a value seen twice', () => {
    expect(exactlyOnceProblems([1, 3], 3)).toEqual(['answer 1 3 after 1, with 0 refused requests unaccounted for']);
    expect(exactlyOnceProblems([1, 2], 1)).toEqual(['final value 1 after 2, with 0 refused requests unaccounted for']);
    expect(exactlyOnceProblems([1, 1], 1)).toEqual(['answer 1 1 after 1, with 0 refused requests unaccounted for']);
    // One refused request explains one extra increment, not two.
    expect(exactlyOnceProblems([1, null, 3, 5], 5)).toEqual(['answer 3 5 after 3, with 0 refused requests unaccounted for']);
    expect(exactlyOnceProblems([null, 2], 3)).toEqual(['final value 3 after 2, with 0 refused requests unaccounted for']);
  });
});
