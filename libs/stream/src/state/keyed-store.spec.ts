import { KeyedStore } from './keyed-store';

describe('KeyedStore', () => {
  it('shows pending writes to reads and commits them as changelog entries', () => {
    const state = new KeyedStore();
    state.put('counts', 'a', 1);
    state.put('counts', 'a', 2);
    state.put('counts', 'b', 5);
    expect(state.get('counts', 'a')).toBe(2);
    state.endRecord(true);
    expect(state.commit()).toEqual([
      { store: 'counts', key: 'a', value: 2 },
      { store: 'counts', key: 'b', value: 5 },
    ]);
    expect(state.get('counts', 'a')).toBe(2);
    expect(state.commit()).toEqual([]);
  });

  it('rolls back what a failed batch wrote', () => {
    const state = new KeyedStore();
    state.put('counts', 'a', 1);
    state.endRecord(true);
    state.commit();
    state.put('counts', 'a', 99);
    state.delete('counts', 'b');
    state.endRecord(true);
    state.rollback();
    expect(state.get('counts', 'a')).toBe(1);
    expect(state.pendingChanges()).toEqual([]);
  });

  it('drops the writes of a record that failed, keeping the batch\'s others', () => {
    const state = new KeyedStore();
    state.put('counts', 'a', 1);
    state.endRecord(true);
    state.put('counts', 'a', 2);
    state.put('counts', 'c', 7);
    state.endRecord(false);
    expect(state.commit()).toEqual([{ store: 'counts', key: 'a', value: 1 }]);
  });

  it('deletes, and restores from changelog entries', () => {
    const state = new KeyedStore();
    state.put('s', 'k', { x: 1 });
    state.endRecord(true);
    state.commit();
    state.delete('s', 'k');
    expect(state.get('s', 'k')).toBeUndefined();
    state.endRecord(true);
    expect(state.commit()).toEqual([{ store: 's', key: 'k', value: undefined }]);

    const restored = new KeyedStore();
    restored.apply({ store: 's', key: 'k', value: { x: 1 } });
    restored.apply({ store: 's', key: 'j', value: 3 });
    restored.apply({ store: 's', key: 'k', value: undefined });
    expect(restored.get('s', 'k')).toBeUndefined();
    expect(restored.get('s', 'j')).toBe(3);
    expect(restored.size()).toBe(1);
  });
});

describe('KeyedStore views for caches', () => {
  it('lists a store\'s entries as reads see them, uncommitted writes and deletions included', () => {
    const state = new KeyedStore();
    state.put('s', 'a', 1);
    state.put('s', 'b', 2);
    state.put('other', 'x', 0);
    state.endRecord(true);
    state.commit();
    state.put('s', 'a', 10);
    state.delete('s', 'b');
    state.put('s', 'c', 3);
    expect([...state.entries('s')]).toEqual([['a', 10], ['c', 3]]);
    expect([...state.entries('nothing')]).toEqual([]);
  });

  it('moves its generation when writes are thrown away, not when they are kept', () => {
    const state = new KeyedStore();
    const start = state.generation;
    state.put('s', 'a', 1);
    state.endRecord(true);
    state.commit();
    state.endRecord(false); // a failed record that wrote nothing
    expect(state.generation).toBe(start);
    state.put('s', 'a', 2);
    state.endRecord(false);
    expect(state.generation).toBe(start + 1);
    state.put('s', 'a', 3);
    state.endRecord(true);
    state.rollback();
    expect(state.generation).toBe(start + 2);
    expect(state.get('s', 'a')).toBe(1);
  });
});
