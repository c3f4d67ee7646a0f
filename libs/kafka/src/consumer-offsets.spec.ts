import { lagOf } from './consumer-offsets';

describe('lagOf', () => {
  const ends = [
    { partition: 0, low: '0', high: '10' },
    { partition: 1, low: '4', high: '9' },
    { partition: 2, low: '0', high: '3' },
  ];

  it('counts from the committed offset to the end, for the asked partitions only', () => {
    const lags = lagOf({ ends, committed: [{ partition: 0, offset: '7' }, { partition: 2, offset: '3' }] }, [0, 2]);
    expect([...lags]).toEqual([[0, 3], [2, 0]]);
  });

  it('counts a partition the group never committed on from its first offset still kept', () => {
    const lags = lagOf({ ends, committed: [{ partition: 1, offset: '-1' }] }, [1]);
    expect([...lags]).toEqual([[1, 5]]);
  });
});
