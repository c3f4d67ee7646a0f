import { describeJob, job, runOperators } from './index';

const ctx = { id: 'r1', partition: 0, timestamp: 1_000, deadline: Infinity };

describe('jobs', () => {
  const words = job('words')
    .fromTopic('lines')
    .flatMap('split', (line) => String(line).split(' '))
    .filter('non-empty', (word) => word.length > 0)
    .keyBy('by word', (word) => word.toLowerCase())
    .map('tag', async (word, c) => `${c.key}@${c.partition}`)
    .toTopic('tagged');

  it('runs values through the operators in order, async maps included', async () => {
    expect(await runOperators(words, 'Hello  World', ctx)).toEqual(['hello@0', 'world@0']);
  });

  it('reports values in and out of each operator', async () => {
    const seen: string[] = [];
    await runOperators(words, 'a b', ctx, { observe: (op, counts) => seen.push(`${op}:${counts.in}>${counts.out}`) });
    expect(seen).toEqual(['split:1>2', 'non-empty:2>2', 'by word:2>2', 'tag:2>2']);
  });

  it('drops what a filter rejects', async () => {
    expect(await runOperators(words, '   ', ctx)).toEqual([]);
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
});
