/** One state change, as written to the changelog: `value` undefined means deleted. */
export interface StateChange {
  readonly store: string;
  readonly key: string;
  readonly value: unknown;
}

/**
 * The keyed state of one partition of one job: named stores of JSON values. Writes made while a
 * batch is processed stay pending until `commit()`, so a batch whose transaction fails can be
 * rolled back with `rollback()` and the state always matches the committed input offsets.
 *
 * @example
 * const state = new KeyedStore();
 * state.put('counts', 'k', 1);      // the current record's write
 * state.get('counts', 'k');         // 1 (reads see uncommitted writes)
 * state.endRecord(true);            // the record succeeded: its writes join the batch
 * const changes = state.commit();   // [{ store: 'counts', key: 'k', value: 1 }] for the changelog
 */
export class KeyedStore {
  private readonly committed = new Map<string, Map<string, unknown>>();
  private readonly pending = new Map<string, Map<string, unknown>>();
  /** Writes of the record being processed; kept only if its processing succeeds. */
  private readonly current = new Map<string, Map<string, unknown>>();
  private discarded = 0;

  /**
   * Changes whenever writes are thrown away (a failed record, a rolled-back batch) or restored
   * ones applied: a cache built from this store is stale when it has moved.
   */
  get generation(): number {
    return this.discarded;
  }

  get(store: string, key: string): unknown {
    for (const layer of [this.current, this.pending]) {
      const table = layer.get(store);
      if (table?.has(key)) return table.get(key);
    }
    return this.committed.get(store)?.get(key);
  }

  put(store: string, key: string, value: unknown): void {
    this.table(this.current, store).set(key, value);
  }

  delete(store: string, key: string): void {
    this.table(this.current, store).set(key, undefined);
  }

  /** Ends one record's processing: keeps its writes in the batch, or drops them if it failed. */
  endRecord(succeeded: boolean): void {
    if (!succeeded && this.current.size > 0) this.discarded++;
    if (succeeded) {
      for (const [store, writes] of this.current) {
        const table = this.table(this.pending, store);
        for (const [key, value] of writes) table.set(key, value);
      }
    }
    this.current.clear();
  }

  /** Applies pending writes and returns them, in write order per store, for the changelog. */
  commit(): StateChange[] {
    const changes: StateChange[] = [];
    for (const [store, writes] of this.pending) {
      const table = this.table(this.committed, store);
      for (const [key, value] of writes) {
        if (value === undefined) table.delete(key);
        else table.set(key, value);
        changes.push({ store, key, value });
      }
    }
    this.pending.clear();
    return changes;
  }

  /** Pending writes that would be committed now (for building the changelog before commit). */
  pendingChanges(): StateChange[] {
    return [...this.pending].flatMap(([store, writes]) => [...writes].map(([key, value]) => ({ store, key, value })));
  }

  rollback(): void {
    if (this.current.size > 0 || this.pending.size > 0) this.discarded++;
    this.current.clear();
    this.pending.clear();
  }

  /** Applies a change read back from the changelog (restore), bypassing the pending buffer. */
  apply(change: StateChange): void {
    this.discarded++;
    const table = this.table(this.committed, change.store);
    if (change.value === undefined) table.delete(change.key);
    else table.set(change.key, change.value);
  }

  /** Every key of `store` and its value as reads see it now (uncommitted writes included). */
  entries(store: string): Map<string, unknown> {
    const merged = new Map(this.committed.get(store));
    for (const layer of [this.pending, this.current]) {
      for (const [key, value] of layer.get(store) ?? []) merged.set(key, value);
    }
    for (const [key, value] of merged) if (value === undefined) merged.delete(key);
    return merged;
  }

  /** Committed entries per store, for metrics. */
  size(): number {
    let size = 0;
    for (const table of this.committed.values()) size += table.size;
    return size;
  }

  private table(tables: Map<string, Map<string, unknown>>, store: string): Map<string, unknown> {
    let table = tables.get(store);
    if (!table) tables.set(store, (table = new Map()));
    return table;
  }
}
