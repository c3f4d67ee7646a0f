import { buildJobGraph, describeNode, routePaths } from './graph';

const ipCount = {
  nodes: [
    { id: 'ip-count/source', kind: 'source', name: 'routes ip-counts', route: 'ip-counts' },
    { id: 'ip-count/1', kind: 'keyBy', name: 'by ip' },
    { id: 'ip-count/2', kind: 'window', name: 'count per 5 s window', stores: ['count per 5 s window'], window: { type: 'tumbling', sizeMs: 5000, slideMs: 5000, allowedLatenessMs: 5000, retainMs: 600000, lateTo: 'ip-counts.late', description: '5 s tumbling' } },
    { id: 'ip-count/3', kind: 'map', name: 'as record' },
    { id: 'ip-count/sink', kind: 'sink', name: 'topic ip-counts', topic: 'ip-counts' },
  ],
  edges: [
    { from: 'ip-count/source', to: 'ip-count/1' },
    { from: 'ip-count/1', to: 'ip-count/2' },
    { from: 'ip-count/2', to: 'ip-count/3' },
    { from: 'ip-count/3', to: 'ip-count/sink' },
  ],
};

describe('buildJobGraph', () => {
  const graph = buildJobGraph(ipCount);

  it('draws every node and edge of the topology once, plus the late output and the DLQ', () => {
    expect(graph.nodes.filter((n) => !n.derived).map((n) => n.id)).toEqual(ipCount.nodes.map((n) => n.id));
    expect(graph.edges.filter((e) => !e.derived).map((e) => `${e.from}>${e.to}`)).toEqual(ipCount.edges.map((e) => `${e.from}>${e.to}`));
    expect(graph.nodes.filter((n) => n.derived).map((n) => n.kind).sort()).toEqual(['dlq', 'late']);
    expect(graph.edges.filter((e) => e.derived).map((e) => `${e.from}>${e.to}`).sort()).toEqual(['ip-count/2>ip-count/2#late', 'ip-count/source>ip-count/source#dlq']);
  });

  it('lays the chain out left to right', () => {
    const x = (id: string) => graph.nodes.find((n) => n.id === id)!.x;
    const chain = ipCount.nodes.map((n) => x(n.id));
    expect([...chain].sort((a, b) => a - b)).toEqual(chain);
    expect(new Set(chain).size).toBe(chain.length);
    for (const edge of graph.edges) expect(edge.points.length).toBeGreaterThanOrEqual(2);
    expect(graph.width).toBeGreaterThan(5 * 200);
  });

  it('gives a topic job no DLQ node', () => {
    const topicJob = buildJobGraph({ nodes: [{ id: 't/source', kind: 'source', name: 'topic a', topic: 'a' }, { id: 't/sink', kind: 'sink', name: 'topic b', topic: 'b' }], edges: [{ from: 't/source', to: 't/sink' }] });
    expect(topicJob.nodes.map((n) => n.kind)).toEqual(['source', 'sink']);
  });
});

describe('describeNode', () => {
  it('names a route source by its HTTP paths, /event for the event route', () => {
    expect(describeNode({ id: 'a', kind: 'source', name: 'route echo', route: 'echo' }, 'echo')).toBe('POST /v1/echo /event');
    expect(routePaths('counter,counter-get')).toEqual(['/v1/counter', '/v1/counter-get']);
  });
  it('shows a step spec: window, stores, concurrency, reply', () => {
    expect(describeNode(ipCount.nodes[2])).toBe('5 s tumbling · store count per 5 s window');
    expect(describeNode({ id: 'b', kind: 'mapAsync', name: 'wait', concurrency: 256, ordered: 'key' })).toBe('concurrency 256, ordered by key');
    expect(describeNode({ id: 'c', kind: 'sink', name: 'reply to caller' })).toBe('HTTP reply');
  });
});
