import type { OutgoingRecord } from '@flowgate/kafka';
import { EventTimeWindows, WindowChange, WindowClock } from './event-time-windows';
import type { Job, RecordContext, WindowOperator } from '../dsl/job';
import type { KeyedStore } from '../state/keyed-store';

/** A value on its way through a job's operators, with what the operators know about it. */
export interface Flowing {
  readonly value: unknown;
  readonly ctx: RecordContext;
}

/** What a window step needs from the keyed run: the partition's state and where side outputs go. */
export interface WindowRun {
  readonly store: KeyedStore;
  readonly emit: (record: OutgoingRecord) => void;
  readonly onLate?: () => void;
}

/**
 * The window step's state in the partition's KeyedStore, one store per step (named after it):
 * one entry per key and window (`<key>\0<start>`, the aggregate), plus the clock. So the
 * changelog gets one entry per window a record touched, and a dropped window becomes a tombstone.
 */
const CLOCK_KEY = '\u0000clock';
const windowKey = (key: string, start: number) => `${key}\u0000${start}`;

/**
 * The live windows of each step in each partition's store. The store is the truth; this is its
 * index, rebuilt when the store threw writes away (a failed record, a rolled-back batch).
 */
const live = new WeakMap<KeyedStore, Map<WindowOperator, { generation: number; windows: EventTimeWindows<unknown, unknown> }>>();

function windowsIn(op: WindowOperator, store: KeyedStore): EventTimeWindows<unknown, unknown> {
  let steps = live.get(store);
  if (!steps) live.set(store, (steps = new Map()));
  const cached = steps.get(op);
  if (cached && cached.generation === store.generation) return cached.windows;
  const persist = (change: WindowChange<unknown>) => {
    if (change.kind === 'clock') store.put(op.name, CLOCK_KEY, change.clock);
    else if (change.value === undefined) store.delete(op.name, windowKey(change.key, change.start));
    else store.put(op.name, windowKey(change.key, change.start), change.value);
  };
  const { window: spec, allowedLatenessMs, retainMs, aggregator } = op;
  const windows = EventTimeWindows.restore({ spec, allowedLatenessMs, retainMs, aggregator }, readState(op, store), persist);
  steps.set(op, { generation: store.generation, windows });
  return windows;
}

function readState(op: WindowOperator, store: KeyedStore) {
  const entries = store.entries(op.name);
  const clock = entries.get(CLOCK_KEY) as WindowClock | undefined;
  const windows: { key: string; start: number; value: unknown }[] = [];
  for (const [entry, value] of entries) {
    if (entry === CLOCK_KEY) continue;
    const split = entry.lastIndexOf('\u0000');
    windows.push({ key: entry.slice(0, split), start: Number(entry.slice(split + 1)), value });
  }
  return { clock, windows };
}

/**
 * One value through a window step: a query is answered from the key's windows; an event is
 * aggregated into its windows (or counted late and sent to the side output), and the windows
 * that became final flow on, each keyed by its own key.
 */
export function runWindow(op: WindowOperator, item: Flowing, run: WindowRun): { downstream: Flowing[]; answer?: unknown } {
  const { ctx } = item;
  const key = ctx.key;
  if (key === undefined) throw new Error(`window step ${op.name} needs a keyBy before it`);
  const windows = windowsIn(op, run.store);
  if (op.query && ctx.route !== undefined && op.query.routes.includes(ctx.route)) {
    return { downstream: [], answer: op.query.answer(key, windows.windowsOf(key)) };
  }
  const added = windows.add(key, op.eventTime(item.value, ctx), item.value);
  if (added.kind === 'late') {
    run.onLate?.();
    if (op.lateTo) run.emit({ topic: op.lateTo, key, value: JSON.stringify(lateRecord(item.value, added.windowStart)) });
  }
  return { downstream: windows.drainFinal().map((window) => ({ value: window, ctx: { ...ctx, key: window.key } })) };
}

function lateRecord(event: unknown, windowStart: number): Record<string, unknown> {
  const isObject = typeof event === 'object' && event !== null && !Array.isArray(event);
  return isObject ? { ...(event as Record<string, unknown>), windowStart } : { event, windowStart };
}

/**
 * The watermark of a partition for a job: the lowest over its window steps (the one furthest
 * behind), undefined before any of them has seen an event.
 */
export function partitionWatermark(job: Job, store: KeyedStore): number | undefined {
  let lowest: number | undefined;
  for (const op of job.operators) {
    if (op.kind !== 'window') continue;
    const watermark = (store.get(op.name, CLOCK_KEY) as WindowClock | undefined)?.watermark;
    if (watermark === null || watermark === undefined) continue;
    lowest = lowest === undefined ? watermark : Math.min(lowest, watermark);
  }
  return lowest;
}
