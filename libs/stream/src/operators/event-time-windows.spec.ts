import { Aggregator, EventTimeWindows, WindowChange, WindowClock, WindowResult } from './event-time-windows';
import { sliding, tumbling, WindowSpec } from './window-assigner';

const count: Aggregator<unknown, number> = { init: () => 0, add: (n) => n + 1 };
const options = (spec: WindowSpec = tumbling(10)) => ({ spec, allowedLatenessMs: 5, retainMs: 20, aggregator: count });
const fresh = (spec?: WindowSpec) => new EventTimeWindows(options(spec));
const addAll = (windows: EventTimeWindows<unknown, number>, events: [key: string, ts: number][]) =>
  events.map(([key, ts]) => windows.add(key, ts, { key, ts }));
/** key start-end ×count, with a ! when final: short enough to compare whole lists at a glance. */
const brief = (w: WindowResult<number>) => `${w.key} ${w.start}-${w.end} ×${w.value}${w.final ? '!' : ''}`;

describe('EventTimeWindows, tumbling', () => {
  it('counts in-order events per key and window', () => {
    const windows = fresh();
    addAll(windows, [['a', 1], ['a', 3], ['b', 4], ['a', 12]]);
    expect(windows.windowsOf('a').map(brief)).toEqual(['a 0-10 ×2', 'a 10-20 ×1']);
    expect(windows.windowsOf('b').map(brief)).toEqual(['b 0-10 ×1']);
    expect(windows.windowsOf('nobody')).toEqual([]);
    expect(windows.watermark).toBe(12);
  });

  it('returns the windows an event was aggregated into', () => {
    const windows = fresh();
    windows.add('a', 1, null);
    expect(windows.add('a', 2, null)).toEqual({ kind: 'added', windows: [{ key: 'a', start: 0, end: 10, value: 2, final: false }] });
  });

  it('aligns windows to the epoch at exact boundaries', () => {
    const windows = fresh();
    addAll(windows, [['a', 0], ['a', 10], ['a', 19], ['a', 20]]);
    expect(windows.windowsOf('a').map(brief)).toEqual(['a 0-10 ×1!', 'a 10-20 ×2', 'a 20-30 ×1']);
  });

  it('counts an out-of-order event within the lateness into its older window, without moving the watermark back', () => {
    const windows = fresh();
    addAll(windows, [['a', 12], ['a', 7]]);
    expect(windows.windowsOf('a').map(brief)).toEqual(['a 0-10 ×1', 'a 10-20 ×1']);
    expect(windows.watermark).toBe(12);
  });

  it('counts an event while the watermark is one short of end + lateness', () => {
    const windows = fresh();
    windows.add('a', 14, null);
    expect(windows.add('a', 9, null).kind).toBe('added');
  });

  it('reports a too-late event as late and does not count it', () => {
    const windows = fresh();
    addAll(windows, [['a', 3], ['a', 15]]);
    expect(windows.add('a', 9, null)).toEqual({ kind: 'late', windowStart: 0 });
    expect(windows.add('b', 0, null)).toEqual({ kind: 'late', windowStart: 0 });
    expect(windows.windowsOf('a').map(brief)).toEqual(['a 0-10 ×1!', 'a 10-20 ×1']);
    expect(windows.windowsOf('b')).toEqual([]);
    expect(windows.watermark).toBe(15);
  });

  it('drains each final window once, ordered by end then key', () => {
    const windows = fresh();
    addAll(windows, [['b', 1], ['a', 2], ['c', 13], ['a', 11], ['a', 25]]);
    expect(windows.drainFinal().map(brief)).toEqual(['a 0-10 ×1!', 'b 0-10 ×1!', 'a 10-20 ×1!', 'c 10-20 ×1!']);
    expect(windows.drainFinal()).toEqual([]);
    windows.add('a', 31, null);
    expect(windows.drainFinal()).toEqual([]);
    windows.add('a', 35, null);
    expect(windows.drainFinal().map(brief)).toEqual(['a 20-30 ×1!']);
    expect(windows.drainFinal()).toEqual([]);
  });

  it('drains nothing before the first event', () => {
    expect(fresh().drainFinal()).toEqual([]);
  });

  it('drops drained windows whose end falls more than retainMs behind the watermark, and never recreates them', () => {
    const windows = fresh();
    addAll(windows, [['a', 1], ['a', 16]]);
    expect(windows.drainFinal().map(brief)).toEqual(['a 0-10 ×1!']);
    windows.add('a', 30, null); // 10 < 30 - 20 is false: kept
    expect(windows.size).toBe(3);
    windows.add('a', 31, null);
    expect(windows.size).toBe(2);
    expect(windows.windowsOf('a').map(brief)).toEqual(['a 10-20 ×1!', 'a 30-40 ×2']);
    expect(windows.add('a', 5, null)).toEqual({ kind: 'late', windowStart: 0 });
  });

  it('keeps an expired window until it is drained, but does not report it', () => {
    const windows = fresh();
    addAll(windows, [['a', 1], ['a', 31]]);
    expect(windows.windowsOf('a').map(brief)).toEqual(['a 30-40 ×1']);
    expect(windows.drainFinal().map(brief)).toEqual(['a 0-10 ×1!']);
    expect(windows.size).toBe(1);
  });

  it('stays bounded over a long run with regular drains', () => {
    const windows = fresh();
    let drained = 0;
    for (let ts = 0; ts < 10_000; ts += 3) {
      windows.add(`k${ts % 7}`, ts, null);
      windows.add('late-ish', ts - 4, null);
      drained += windows.drainFinal().length;
    }
    expect(windows.size).toBeLessThanOrEqual(4 * 8);
    expect(drained).toBeGreaterThan(1_000);
  });

  it('refuses options that would drop windows before they are final', () => {
    expect(() => new EventTimeWindows({ ...options(), retainMs: 4 })).toThrow(/retainMs/);
    expect(() => new EventTimeWindows({ ...options(), allowedLatenessMs: -1 })).toThrow(/allowedLatenessMs/);
  });
});

describe('EventTimeWindows, sliding', () => {
  const spec = sliding(10, 5);

  it('aggregates an event into every window that contains it', () => {
    const windows = fresh(spec);
    addAll(windows, [['a', 1], ['a', 7], ['a', 12]]);
    expect(windows.windowsOf('a').map(brief)).toEqual(['a -5-5 ×1!', 'a 0-10 ×2', 'a 5-15 ×2', 'a 10-20 ×1']);
  });

  it('counts a partly late event in the windows still open, and calls it late only when all are final', () => {
    const windows = fresh(spec);
    windows.add('a', 20, null); // watermark 20: windows ending at or before 15 are final
    // 6 is in [0,10) (final) and [5,15) (final at 15 + 5 = 20): late everywhere.
    expect(windows.add('a', 6, null)).toEqual({ kind: 'late', windowStart: 5 });
    // 11 is in [5,15) (final) and [10,20) (open): counted in the open one only.
    const partly = windows.add('a', 11, null);
    expect(partly.kind === 'added' && partly.windows.map(brief)).toEqual(['a 10-20 ×1']);
    expect(windows.windowsOf('a').map(brief)).toEqual(['a 10-20 ×1', 'a 15-25 ×1', 'a 20-30 ×1']);
  });

  it('drains overlapping windows in order of their end as the watermark passes end + lateness', () => {
    const windows = fresh(spec);
    addAll(windows, [['a', 3], ['b', 8]]);
    expect(windows.drainFinal()).toEqual([]);
    windows.add('c', 15, null); // final: ends <= 10
    expect(windows.drainFinal().map(brief)).toEqual(['a -5-5 ×1!', 'a 0-10 ×1!', 'b 0-10 ×1!']);
    windows.add('c', 20, null);
    expect(windows.drainFinal().map(brief)).toEqual(['b 5-15 ×1!']);
  });
});

describe('EventTimeWindows changes and restore', () => {
  type Step = { add: [string, number] } | 'drain' | { windowsOf: string };
  const script: Step[] = [
    { add: ['a', 1] }, { add: ['b', 2] }, { add: ['a', 12] }, 'drain', { add: ['a', 7] }, { windowsOf: 'a' },
    { add: ['b', 16] }, 'drain', { add: ['a', 9] }, { add: ['c', 24] }, { windowsOf: 'b' }, { add: ['a', 40] },
    { add: ['b', 3] }, { windowsOf: 'a' }, 'drain', { add: ['a', 44] }, { add: ['c', 52] }, 'drain', { windowsOf: 'c' },
  ];

  /** Applies reported changes the way a changelog does: last value per window, the clock, deletions. */
  class FakeChangelog {
    readonly windows = new Map<string, { key: string; start: number; value: number }>();
    clock: WindowClock | undefined;
    changes = 0;
    readonly record = (change: WindowChange<number>) => {
      this.changes++;
      if (change.kind === 'clock') this.clock = JSON.parse(JSON.stringify(change.clock)) as WindowClock;
      else if (change.value === undefined) this.windows.delete(`${change.key}/${change.start}`);
      else this.windows.set(`${change.key}/${change.start}`, { key: change.key, start: change.start, value: change.value });
    };
  }

  for (const spec of [tumbling(10), sliding(10, 5)]) {
    const run = (windows: EventTimeWindows<unknown, number>, step: Step): unknown => {
      if (step === 'drain') return windows.drainFinal();
      return 'add' in step ? windows.add(step.add[0], step.add[1], null) : windows.windowsOf(step.windowsOf);
    };
    /** The outputs of the whole script, restored from the reported changes before step `cut`. */
    const outputs = (cut?: number) => {
      const log = new FakeChangelog();
      let windows = new EventTimeWindows(options(spec), log.record);
      const results = script.map((step, i) => {
        if (i === cut) windows = EventTimeWindows.restore(options(spec), { clock: log.clock, windows: log.windows.values() }, log.record);
        return run(windows, step);
      });
      return { results, size: windows.size, held: [...log.windows.keys()].sort() };
    };

    it.each(script.map((_, i) => [i]))(`${spec.type}: behaves the same restored before step %i`, (cut) => {
      expect(outputs(cut)).toEqual(outputs());
    });

    it(`${spec.type}: reports as many windows as it holds (evicted ones as deleted)`, () => {
      const { size, held } = outputs();
      expect(held).toHaveLength(size);
    });
  }

  it('reports one change per window an event touched, not one per window held', () => {
    const log = new FakeChangelog();
    const windows = new EventTimeWindows({ ...options(sliding(10, 5)), retainMs: 1_000 }, log.record);
    for (let ts = 0; ts < 100; ts++) windows.add(`k${ts}`, ts, null);
    const before = log.changes;
    windows.add('k0', 99, null); // two windows, no watermark move
    expect(log.changes - before).toBe(2);
  });

  it('refuses state made with another window spec', () => {
    const log = new FakeChangelog();
    new EventTimeWindows(options(tumbling(10)), log.record).add('a', 12, null);
    expect(() => EventTimeWindows.restore(options(tumbling(20)), { clock: log.clock, windows: log.windows.values() })).toThrow(
      /state was made with windows/,
    );
    expect(() => EventTimeWindows.restore(options(tumbling(20)), { clock: undefined, windows: [{ key: 'a', start: 10, value: 1 }] })).toThrow(
      /does not fit windows/,
    );
  });
});
