import { TumblingWindows, TumblingWindowsState, WindowCount } from './tumbling-windows';

const options = { sizeMs: 10, allowedLatenessMs: 5, retainMs: 20 };
const fresh = () => new TumblingWindows(options);
const addAll = (windows: TumblingWindows, events: [key: string, ts: number][]) => events.map(([key, ts]) => windows.add({ key, ts }));
/** key start-end ×count, with a ! when final: short enough to compare whole lists at a glance. */
const brief = (w: WindowCount) => `${w.key} ${w.start}-${w.end} ×${w.count}${w.final ? '!' : ''}`;

describe('TumblingWindows', () => {
  it('counts in-order events per key and window', () => {
    const windows = fresh();
    addAll(windows, [['a', 1], ['a', 3], ['b', 4], ['a', 12]]);
    expect(windows.windowsOf('a').map(brief)).toEqual(['a 0-10 ×2', 'a 10-20 ×1']);
    expect(windows.windowsOf('b').map(brief)).toEqual(['b 0-10 ×1']);
    expect(windows.windowsOf('nobody')).toEqual([]);
    expect(windows.watermark).toBe(12);
  });

  it('returns the window an event was counted into', () => {
    const windows = fresh();
    windows.add({ key: 'a', ts: 1 });
    expect(windows.add({ key: 'a', ts: 2 })).toEqual({ kind: 'counted', window: { key: 'a', start: 0, end: 10, count: 2, final: false } });
  });

  it('aligns windows to the epoch at exact boundaries', () => {
    const windows = fresh();
    // ts = start, end - 1 and end of [10, 20).
    const starts = addAll(windows, [['a', 0], ['a', 10], ['a', 19], ['a', 20]]).map((r) => (r.kind === 'counted' ? r.window.start : NaN));
    expect(starts).toEqual([0, 10, 10, 20]);
    expect(windows.windowsOf('a').map(brief)).toEqual(['a 0-10 ×1!', 'a 10-20 ×2', 'a 20-30 ×1']);
  });

  it('aligns negative times downwards too', () => {
    const result = fresh().add({ key: 'a', ts: -1 });
    expect(result).toEqual({ kind: 'counted', window: expect.objectContaining({ start: -10, end: 0 }) });
  });

  it('counts an out-of-order event within the lateness into its older window, without moving the watermark back', () => {
    const windows = fresh();
    addAll(windows, [['a', 12], ['a', 7]]);
    expect(windows.windowsOf('a').map(brief)).toEqual(['a 0-10 ×1', 'a 10-20 ×1']);
    expect(windows.watermark).toBe(12);
  });

  it('counts an event while the watermark is one short of end + lateness', () => {
    const windows = fresh();
    windows.add({ key: 'a', ts: 14 });
    expect(windows.add({ key: 'a', ts: 9 }).kind).toBe('counted');
  });

  it('reports a too-late event as late and does not count it', () => {
    const windows = fresh();
    addAll(windows, [['a', 3], ['a', 15]]);
    expect(windows.add({ key: 'a', ts: 9 })).toEqual({ kind: 'late', windowStart: 0 });
    expect(windows.add({ key: 'b', ts: 0 })).toEqual({ kind: 'late', windowStart: 0 });
    expect(windows.windowsOf('a').map(brief)).toEqual(['a 0-10 ×1!', 'a 10-20 ×1']);
    expect(windows.windowsOf('b')).toEqual([]);
    expect(windows.lateCount).toBe(2);
    expect(windows.snapshot().lateCount).toBe(2);
    expect(windows.watermark).toBe(15);
  });

  it('drains each final window once, ordered by end then key', () => {
    const windows = fresh();
    addAll(windows, [['b', 1], ['a', 2], ['c', 13], ['a', 11], ['a', 25]]);
    expect(windows.drainFinal().map(brief)).toEqual(['a 0-10 ×1!', 'b 0-10 ×1!', 'a 10-20 ×1!', 'c 10-20 ×1!']);
    expect(windows.drainFinal()).toEqual([]);
    windows.add({ key: 'a', ts: 31 });
    expect(windows.drainFinal()).toEqual([]);
    windows.add({ key: 'a', ts: 35 });
    expect(windows.drainFinal().map(brief)).toEqual(['a 20-30 ×1!']);
    expect(windows.drainFinal()).toEqual([]);
  });

  it('drains nothing before the first event', () => {
    expect(fresh().drainFinal()).toEqual([]);
  });

  it('flags windows final against the current watermark, drained or not', () => {
    const windows = fresh();
    addAll(windows, [['a', 1], ['a', 11], ['a', 21]]);
    expect(windows.windowsOf('a').map((w) => w.final)).toEqual([true, false, false]);
    windows.add({ key: 'b', ts: 25 });
    expect(windows.windowsOf('a').map((w) => w.final)).toEqual([true, true, false]);
  });

  it('drops drained windows whose end falls more than retainMs behind the watermark', () => {
    const windows = fresh();
    addAll(windows, [['a', 1], ['a', 16]]);
    expect(windows.drainFinal().map(brief)).toEqual(['a 0-10 ×1!']);
    windows.add({ key: 'a', ts: 30 }); // 10 < 30 - 20 is false: kept
    expect(windows.snapshot().windows.map((w) => w.start)).toEqual([0, 10, 30]);
    windows.add({ key: 'a', ts: 31 });
    expect(windows.snapshot().windows.map((w) => w.start)).toEqual([10, 30]);
    expect(windows.windowsOf('a').map(brief)).toEqual(['a 10-20 ×1!', 'a 30-40 ×2']);
    expect(windows.add({ key: 'a', ts: 5 })).toEqual({ kind: 'late', windowStart: 0 }); // not recreated
  });

  it('keeps an expired window until it is drained, but does not report it', () => {
    const windows = fresh();
    addAll(windows, [['a', 1], ['a', 31]]);
    expect(windows.windowsOf('a').map(brief)).toEqual(['a 30-40 ×1']);
    expect(windows.drainFinal().map(brief)).toEqual(['a 0-10 ×1!']);
    expect(windows.snapshot().windows.map((w) => w.start)).toEqual([30]);
  });

  it('stays bounded over a long run with regular drains', () => {
    const windows = fresh();
    let drained = 0;
    for (let ts = 0; ts < 10_000; ts += 3) {
      windows.add({ key: `k${ts % 7}`, ts });
      windows.add({ key: 'late-ish', ts: ts - 4 });
      drained += windows.drainFinal().length;
    }
    expect(windows.snapshot().windows.length).toBeLessThanOrEqual(4 * 8);
    expect(drained).toBeGreaterThan(1_000);
  });

  describe('snapshot and restore', () => {
    type Step = { add: [string, number] } | 'drain' | { windowsOf: string };
    const script: Step[] = [
      { add: ['a', 1] }, { add: ['b', 2] }, { add: ['a', 12] }, 'drain', { add: ['a', 7] }, { windowsOf: 'a' },
      { add: ['b', 16] }, 'drain', { add: ['a', 9] }, { add: ['c', 24] }, { windowsOf: 'b' }, { add: ['a', 40] },
      { add: ['b', 3] }, { windowsOf: 'a' }, 'drain', { add: ['a', 44] }, { add: ['c', 52] }, 'drain', { windowsOf: 'c' },
    ];
    const run = (windows: TumblingWindows, step: Step): unknown => {
      if (step === 'drain') return windows.drainFinal();
      return 'add' in step ? windows.add({ key: step.add[0], ts: step.add[1] }) : windows.windowsOf(step.windowsOf);
    };

    /** The outputs of the whole script, with a JSON round trip of the state before step `cut`. */
    const outputs = (cut?: number) => {
      let windows = fresh();
      const results = script.map((step, i) => {
        if (i === cut) {
          const state = JSON.parse(JSON.stringify(windows.snapshot())) as TumblingWindowsState;
          windows = TumblingWindows.restore(options, state);
        }
        return run(windows, step);
      });
      return { results, state: windows.snapshot(), lateCount: windows.lateCount };
    };

    it.each(script.map((_, i) => [i]))('behaves the same with a round trip before step %i', (cut) => {
      expect(outputs(cut)).toEqual(outputs());
    });

    it('the script exercises late events and drains', () => {
      const { results, lateCount } = outputs();
      expect(lateCount).toBe(2);
      expect(results.filter((r) => Array.isArray(r) && r.some((w: WindowCount) => w.final)).length).toBeGreaterThan(2);
    });

    it('writes -Infinity watermarks as null', () => {
      expect(fresh().snapshot()).toEqual({ watermark: null, drainedWatermark: null, lateCount: 0, windows: [] });
    });

    it('refuses state made with a different window size', () => {
      const state: TumblingWindowsState = { watermark: 12, drainedWatermark: null, lateCount: 0, windows: [{ key: 'a', start: 10, count: 1 }] };
      expect(() => TumblingWindows.restore({ ...options, sizeMs: 20 }, state)).toThrow(/does not fit windows of 20 ms/);
    });
  });

  it('refuses options that would drop windows before they are final', () => {
    expect(() => new TumblingWindows({ sizeMs: 10, allowedLatenessMs: 5, retainMs: 4 })).toThrow(/retainMs/);
    expect(() => new TumblingWindows({ sizeMs: 0, allowedLatenessMs: 0, retainMs: 0 })).toThrow(/sizeMs/);
  });
});
