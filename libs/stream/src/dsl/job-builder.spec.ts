import type { OutgoingRecord } from '@flowgate/kafka';
import { describeJob, Job, job, KeyedStore, route, runOperators, RunOptions, sliding } from '../index';

const PLAIN = route({ name: 'plain', summary: 'a test route' });
const HITS = route({ name: 'hits', summary: 'asks for an IP\'s windows', keyField: 'ip', topic: 'hits' });

const ctx = { id: 'r1', partition: 0, timestamp: 1_000, deadline: Infinity };

/** What a job with a topic sink writes for one input: `key value` per record. */
async function written(j: Job, input: unknown, options: RunOptions = {}): Promise<string[]> {
  const records: OutgoingRecord[] = [];
  const answers = await runOperators(j, input, ctx, { ...options, keyed: { store: new KeyedStore(), emit: (r) => records.push(r) } });
  expect(answers).toEqual([]); // a topic sink answers nobody
  return records.map((r) => `${r.topic} ${r.key} ${String(r.value)}`);
}

describe('jobs', () => {
  const words = job('words')
    .fromTopic('lines')
    .flatMap('split', (line) => String(line).split(' '))
    .filter('non-empty', (word) => word.length > 0)
    .keyBy('by word', (word) => word.toLowerCase())
    .map('tag', async (word, c) => `${c.key}@${c.partition}`)
    .toTopic('tagged');

  it('runs values through the operators in order, async maps included, and writes them keyed to the sink topic', async () => {
    expect(await written(words, 'Hello  World')).toEqual(['tagged hello "hello@0"', 'tagged world "world@0"']);
  });

  it('reports values in and out of each operator', async () => {
    const seen: string[] = [];
    await written(words, 'a b', { observe: (op, counts) => seen.push(`${op}:${counts.in}>${counts.out}`) });
    expect(seen).toEqual(['split:1>2', 'non-empty:2>2', 'by word:2>2', 'tag:2>2']);
  });

  it('drops what a filter rejects', async () => {
    expect(await written(words, '   ')).toEqual([]);
  });

  it('returns what reaches a reply sink, and refuses a topic sink without keyed state', async () => {
    const upper = job('upper').fromRoute(PLAIN).map('up', (body) => String(body.s).toUpperCase()).toReply();
    expect(await runOperators(upper, { s: 'hi' }, ctx)).toEqual(['HI']);
    await expect(runOperators(words, 'a', ctx)).rejects.toThrow(/writes to a topic but runs without keyed state/);
  });

  it('describes the job as a chain from source to sink', () => {
    const topology = describeJob(words);
    expect(topology.nodes.map((n) => `${n.kind}:${n.name}`)).toEqual([
      'source:topic lines', 'flatMap:split', 'filter:non-empty', 'keyBy:by word', 'map:tag', 'sink:topic tagged',
    ]);
    expect(topology.edges).toHaveLength(topology.nodes.length - 1);
    expect(topology.edges[0]).toEqual({ from: 'words/source', to: 'words/1' });
  });

  it('refuses a reply sink on a topic source', () => {
    expect(() => job('x').fromTopic('t').toReply()).toThrow(/only a route source can reply/);
  });

  it('describes windows with their spec and async steps with their bound', () => {
    const windowed = job('w')
      .fromRoutes([HITS], { events: true })
      .keyBy('by ip', (v) => String(v.ip))
      .mapAsync('look up', async (v) => v, { concurrency: 4, ordered: 'key' })
      .window(sliding(10_000, 5_000), { eventTime: (v) => Number(v.ts), allowedLatenessMs: 2_000, retainMs: 60_000, lateTo: 'late' })
      .aggregate('count', { init: () => 0, add: (n: number) => n + 1 }, { query: { routes: ['hits'], answer: (k) => k } })
      .toTopic('out');
    const [, , lookUp, window] = describeJob(windowed).nodes;
    expect(lookUp).toMatchObject({ kind: 'mapAsync', concurrency: 4, ordered: 'key' });
    expect(window).toEqual({
      id: 'w/3', kind: 'window', name: 'count', stores: ['count'], queries: ['hits'],
      window: { type: 'sliding', sizeMs: 10_000, slideMs: 5_000, allowedLatenessMs: 2_000, retainMs: 60_000, lateTo: 'late', description: '10 s sliding every 5 s' },
    });
  });
});

describe('mapAsync in a job', () => {
  /** Each call waits for the test to release it; the test releases the newest first. */
  function gated() {
    const gates: (() => void)[] = [];
    const calls: string[] = [];
    const step = async (v: { user: string; n: number }) => {
      calls.push(`${v.user}${v.n}`);
      await new Promise<void>((resolve) => gates.push(resolve));
      return `${v.user}${v.n}`;
    };
    const releaseNewestFirst = async () => {
      for (let round = 0; round < 100; round++) {
        await new Promise((resolve) => setImmediate(resolve));
        const open = gates.splice(0);
        if (open.length === 0) return;
        open.reverse().forEach((release) => release());
      }
    };
    return { step, calls, releaseNewestFirst };
  }

  it('keeps per-key order across records running at once, after synchronous steps', async () => {
    const g = gated();
    const ordered = job('ordered')
      .fromRoute(PLAIN)
      .map('parse', (body) => ({ user: String(body.user), n: Number(body.n) }))
      .keyBy('by user', (v) => v.user)
      .mapAsync('call', g.step, { concurrency: 3, ordered: 'key' })
      .toReply();
    const finished: string[] = [];
    // Records started one after another without waiting, as a partition's lane starts them.
    const runs = [];
    for (let n = 0; n < 4; n++) {
      for (const user of ['a', 'b']) {
        runs.push(runOperators(ordered, { user, n }, { id: `${user}${n}`, partition: 0, timestamp: 0, deadline: Infinity }).then(([r]) => finished.push(String(r))));
      }
    }
    await g.releaseNewestFirst();
    await Promise.all(runs);
    for (const user of ['a', 'b']) {
      const expected = [0, 1, 2, 3].map((n) => `${user}${n}`);
      expect(g.calls.filter((c) => c.startsWith(user))).toEqual(expected);
      expect(finished.filter((c) => c.startsWith(user))).toEqual(expected);
    }
  });

  it('without ordering lets later records overtake earlier ones', async () => {
    const g = gated();
    const unordered = job('unordered')
      .fromRoute(PLAIN)
      .map('parse', (body) => ({ user: String(body.user), n: Number(body.n) }))
      .mapAsync('call', g.step, { concurrency: 3, ordered: 'none' })
      .toReply();
    const finished: string[] = [];
    const runs = [0, 1, 2].map((n) =>
      runOperators(unordered, { user: 'a', n }, { id: `a${n}`, partition: 0, timestamp: 0, deadline: Infinity }).then(([r]) => finished.push(String(r))),
    );
    await g.releaseNewestFirst();
    await Promise.all(runs);
    expect(finished).toEqual(['a2', 'a1', 'a0']);
  });

  it('needs a keyBy before a step ordered by key', () => {
    expect(() => job('x').fromRoute(PLAIN).mapAsync('m', async (v) => v, { concurrency: 1, ordered: 'key' })).toThrow(/needs a keyBy/);
  });
});
