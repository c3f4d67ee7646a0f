import type { OutgoingRecord } from '@flowgate/kafka';
import { job, KeyedStore, RecordContext, route, RouteError, runOperators, sliding, tumbling, WindowResult } from '../index';

const HITS = route({ name: 'hits', summary: 'asks for an IP\'s windows', keyField: 'ip', topic: 'hits' });

/** Events `{ip, ts}`; `hits` requests ask for an IP's windows. */
const windowed = (spec = tumbling(10)) =>
  job('counts')
    .fromRoutes([HITS], { events: true })
    .keyBy('by ip', (value) => String(value.ip))
    .window(spec, {
      eventTime: (value) => {
        if (typeof value.ts !== 'number') throw new RouteError('badBody', 'no ts');
        return value.ts;
      },
      allowedLatenessMs: 5,
      retainMs: 100,
      lateTo: 'late',
    })
    .aggregate('count', { init: () => 0, add: (n: number) => n + 1 }, {
      query: { routes: ['hits'], answer: (ip, windows) => ({ ip, windows: windows.map((w) => `${w.start}:${w.value}${w.final ? '!' : ''}`) }) },
    })
    .map('as record', (w: WindowResult<number>) => ({ ip: w.key, start: w.start, count: w.value }))
    .toTopic('closed');

/** A partition of a keyed job, as the runner drives it: one record at a time, kept only if it succeeds. */
function partition() {
  const store = new KeyedStore();
  const written: OutgoingRecord[] = [];
  let late = 0;
  const ctx = (route?: 'hits'): RecordContext => ({ id: 'x', partition: 0, timestamp: 0, deadline: Infinity, ...(route ? { route } : {}) });
  const record = async (j: ReturnType<typeof windowed>, value: Record<string, unknown>, route?: 'hits') => {
    const emitted: OutgoingRecord[] = [];
    let lateHere = 0;
    try {
      const answers = await runOperators(j, value, ctx(route), { keyed: { store, emit: (r) => emitted.push(r), onLate: () => lateHere++ } });
      store.endRecord(true);
      written.push(...emitted);
      late += lateHere;
      return answers;
    } catch (error) {
      store.endRecord(false);
      throw error;
    }
  };
  const topic = (name: string) => written.filter((r) => r.topic === name).map((r) => `${r.key} ${String(r.value)}`);
  return { store, record, topic, late: () => late };
}

describe('window step in a job', () => {
  it('writes each window to the sink topic when it becomes final, keyed by its key', async () => {
    const p = partition();
    const j = windowed();
    for (const [ip, ts] of [['a', 1], ['b', 2], ['a', 3], ['a', 12]] as const) await p.record(j, { ip, ts });
    expect(p.topic('closed')).toEqual([]);
    await p.record(j, { ip: 'b', ts: 15 }); // watermark 15 = end 10 + lateness 5
    expect(p.topic('closed')).toEqual(['a {"ip":"a","start":0,"count":2}', 'b {"ip":"b","start":0,"count":1}']);
  });

  it('answers a query from the key\'s windows without aggregating it', async () => {
    const p = partition();
    const j = windowed();
    await p.record(j, { ip: 'a', ts: 1 });
    await p.record(j, { ip: 'a', ts: 16 });
    expect(await p.record(j, { ip: 'a' }, 'hits')).toEqual([{ ip: 'a', windows: ['0:1!', '10:1'] }]);
    expect(await p.record(j, { ip: 'nobody' }, 'hits')).toEqual([{ ip: 'nobody', windows: [] }]);
  });

  it('sends a too-late event to the side output with its window start, and counts it', async () => {
    const p = partition();
    const j = windowed();
    await p.record(j, { ip: 'a', ts: 20 });
    await p.record(j, { ip: 'a', ts: 3, extra: true });
    expect(p.topic('late')).toEqual(['a {"ip":"a","ts":3,"extra":true,"windowStart":0}']);
    expect(p.late()).toBe(1);
  });

  it('counts an event in each of its sliding windows', async () => {
    const p = partition();
    const j = windowed(sliding(10, 5));
    await p.record(j, { ip: 'a', ts: 7 });
    expect(await p.record(j, { ip: 'a' }, 'hits')).toEqual([{ ip: 'a', windows: ['0:1', '5:1'] }]);
  });

  it('writes one changelog entry per window touched, plus the clock', async () => {
    const p = partition();
    const j = windowed(sliding(10, 5));
    await p.record(j, { ip: 'a', ts: 7 });
    expect(p.store.pendingChanges().map((c) => c.key)).toEqual(['a\u00000', 'a\u00005', '\u0000clock']);
  });

  it('forgets what a failed record did to the windows, though it had changed them', async () => {
    const p = partition();
    const failing = job('counts')
      .fromRoutes([HITS], { events: true })
      .keyBy('by ip', (value) => String(value.ip))
      .window(tumbling(10), { eventTime: (value) => Number(value.ts), allowedLatenessMs: 5 })
      .aggregate('count', { init: () => 0, add: (n: number) => n + 1 }, { query: { routes: ['hits'], answer: (_ip, w) => w.map((x) => x.value) } })
      .map('fail on window 0', (w) => {
        if (w.start === 0) throw new Error('downstream failure');
        return w;
      })
      .toTopic('closed');
    await p.record(failing, { ip: 'a', ts: 1 });
    // ts 15 closes window 0, whose downstream step throws: the record fails as a whole.
    await expect(p.record(failing, { ip: 'a', ts: 15 })).rejects.toThrow('downstream failure');
    expect(await p.record(failing, { ip: 'a' }, 'hits')).toEqual([[1]]);
    await p.record(failing, { ip: 'a', ts: 2 }); // still open: the failed record's watermark is gone
    expect(await p.record(failing, { ip: 'a' }, 'hits')).toEqual([[2]]);
  });

  it('needs a keyBy before it and sane lateness', () => {
    expect(() => job('x').fromTopic('t').window(tumbling(10), { eventTime: () => 0, allowedLatenessMs: 0 })).toThrow(/needs a keyBy/);
    const keyed = job('x').fromTopic<{ k: string }>('t').keyBy('k', (v) => v.k);
    expect(() => keyed.window(tumbling(10), { eventTime: () => 0, allowedLatenessMs: -1 })).toThrow(/allowedLatenessMs/);
    expect(() => keyed.window(tumbling(10), { eventTime: () => 0, allowedLatenessMs: 5, retainMs: 1 })).toThrow(/retainMs/);
  });
});
