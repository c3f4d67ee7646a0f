import { joinHops, renderHops } from './hop-report.mjs';

/** A trace file's content: events as hop-trace.cjs writes them ([id, µs, ...] per kind). */
const trace = (name, events) => ({ name, events });

describe('joinHops', () => {
  // Two requests through flowgate's topics, one through the floor's; times in µs.
  const gateway = trace('gateway', {
    arrive: ['a', 0, 'b', 10_000],
    'send:bench.requests': ['a', 2_000, 'b', 11_000],
    'fetch:bench.replies': ['a', 7_000, 'b', 15_000],
    end: ['a', 7_500, 'b', 15_300],
    // Produce requests, by their own ids (a request may carry several records).
    'produce:start': ['1-1', 2_000, '1-2', 11_000],
    'produce:written': ['1-1', 2_100, '1-2', 11_050],
    'produce:acked': ['1-1', 3_000, '1-2', 11_500],
  });
  const processor = trace('processor', {
    'fetch:bench.requests': ['a', 4_000, 'b', 12_000],
    'send:bench.replies': ['a', 5_000, 'b', 14_000],
    // When the fetch responses carrying them reached the connection.
    'bytes:bench.requests': ['a', 3_500, 'b', 11_800],
    // A job's own topic: not a hop of the round trip.
    'fetch:bench.counter': ['c', 1],
  });
  const client = trace('floor client', { 'send:floor.requests': ['1', 0], 'fetch:floor.replies': ['1', 3_000] });
  const echo = trace('floor echo', { 'fetch:floor.requests': ['1', 1_000], 'send:floor.replies': ['1', 1_500] });

  it('joins each request across processes by its id and gives the quartiles of every leg in ms', () => {
    const [flowgate, floor] = joinHops([gateway, processor, client, echo], 0);
    expect(flowgate.system).toBe('bench');
    expect(flowgate.front).toBe('gateway');
    expect(flowgate.back).toBe('processor');
    const p50 = Object.fromEntries(flowgate.rows.map((row) => [row.leg, [row.n, row.p25, row.p50]]));
    // a: HTTP in → produce 2 ms, b: 1 ms; the median of two is the larger one.
    expect(p50['HTTP in → produce request (parse, admission, linger)']).toEqual([2, 1, 2]);
    expect(p50['request hop (produce → consumer has it)']).toEqual([2, 1, 2]);
    expect(p50['processor (consumed → reply produce request)']).toEqual([2, 1, 2]);
    expect(p50['reply hop (produce → gateway has it)']).toEqual([2, 1, 2]);
    // The request hop split where the fetch response arrived: a 1.5 + 0.5 ms, b 0.8 + 0.2 ms.
    expect(p50['  of it: produce → fetch response at the processor (broker, network)']).toEqual([2, 0.8, 1.5]);
    expect(p50['  of it: fetch response → eachBatch (kafkajs)']).toEqual([2, 0.2, 0.5]);
    // The gateway's side was not traced that deep here: no rows for it.
    expect(p50['  of it: produce → fetch response at the gateway (broker, network)']).toBeUndefined();
    expect(p50['reply → HTTP answer written']).toEqual([2, 0.3, 0.5]);
    expect(p50['whole (HTTP in → answer written)']).toEqual([2, 5.3, 7.5]);
    expect(p50["front's produce requests: kafkajs connection → acknowledged"]).toEqual([2, 0.5, 1]);
    expect(p50["front's produce requests: connection → written to the socket (encoding)"]).toEqual([2, 0.05, 0.1]);
    expect(p50["front's produce requests: written → acknowledged (broker, loopback)"]).toEqual([2, 0.45, 0.9]);
    expect(p50["back's produce requests: kafkajs connection → acknowledged"]).toBeUndefined();
    // The floor has no HTTP: only its Kafka legs.
    expect(floor.system).toBe('floor');
    expect(floor.rows.map((row) => [row.leg, row.p50])).toEqual([
      ['request hop (produce → consumer has it)', 1],
      ['processor (consumed → reply produce request)', 0.5],
      ['reply hop (produce → gateway has it)', 1.5],
      ['Kafka round trip (produce request → reply read)', 3],
    ]);
  });

  it('joins the replicas of a side, and leaves out the warm-up share of requests', () => {
    const half = (name, events, keep) => trace(name, Object.fromEntries(Object.entries(events).map(([kind, list]) => [kind, list.slice(keep * 2, keep * 2 + 2)])));
    const [flowgate] = joinHops([gateway, half('processor 1', processor.events, 0), half('processor 2', processor.events, 1)], 0.5);
    expect(flowgate.back).toBe('processor 1, processor 2');
    // Only b is left after skipping half.
    expect(flowgate.rows.every((row) => row.n === 1)).toBe(true);
    expect(flowgate.rows.find((row) => row.leg.startsWith('whole')).p50).toBe(5.3);
    expect(renderHops([flowgate])).toContain('| whole (HTTP in → answer written) | 1 | 5.30 | 5.30 | 5.30 | 5.30 |');
  });

  it('leaves out a system whose back or front was not traced', () => {
    expect(joinHops([gateway], 0)).toEqual([]);
  });
});
