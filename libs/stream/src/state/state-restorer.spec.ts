import { encodeBarrier, encodeChange } from './changelog';
import { KeyedStore } from './keyed-store';
import { replayChangelog } from './state-restorer';

/** Changelog records as the restore consumer reads them. */
const change = (store: string, key: string, value: unknown) => asMessage(encodeChange({ store, key, value }));
const barrier = (token: string) => asMessage(encodeBarrier(token));
function asMessage(record: { key: string; value: string | null }) {
  return { key: Buffer.from(record.key), value: record.value === null ? null : Buffer.from(record.value) };
}

describe('replayChangelog', () => {
  it("applies the changes up to this task's barrier, passing over earlier owners' barriers, and nothing after it", () => {
    const store = new KeyedStore();

    const replayed = replayChangelog(
      [change('counts', 'a', 1), barrier('old-owner'), change('counts', 'a', 2), change('counts', 'b', 7), barrier('mine'), change('counts', 'a', 99)],
      { token: 'mine', store },
    );

    expect(replayed).toEqual({ applied: 3, reachedBarrier: true });
    expect(store.entries('counts')).toEqual(new Map([['a', 2], ['b', 7]]));
  });

  it('forgets a key whose last record is a tombstone', () => {
    const store = new KeyedStore();

    replayChangelog([change('counts', 'a', 1), change('counts', 'b', 2), change('counts', 'a', undefined), barrier('mine')], { token: 'mine', store });

    expect(store.entries('counts')).toEqual(new Map([['b', 2]]));
  });

  it('says to read on when the batch ends before the barrier, keeping what it applied', () => {
    const store = new KeyedStore();

    expect(replayChangelog([change('counts', 'a', 1), barrier('old-owner')], { token: 'mine', store })).toEqual({ applied: 1, reachedBarrier: false });
    expect(replayChangelog([change('counts', 'a', 2), barrier('mine')], { token: 'mine', store })).toEqual({ applied: 1, reachedBarrier: true });
    expect(store.entries('counts')).toEqual(new Map([['a', 2]]));
  });

  it('refuses a record that is not a changelog record rather than restoring wrong state', () => {
    expect(() => replayChangelog([{ key: Buffer.from('no-store'), value: Buffer.from('1') }], { token: 'mine', store: new KeyedStore() })).toThrow(
      'changelog key without a store',
    );
  });
});
