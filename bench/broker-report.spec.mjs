import { parseRequestLine, summarize, renderSummary } from './broker-report.mjs';

/** A line as Kafka 3.9's request logger writes it (abridged: the real request and response are longer). */
const line = ({ api = 'PRODUCE', client = 'flowgate-gateway-host-42', topic = 'bench.requests', total = 0.2, remote = 0 }) =>
  `Completed request:{"isForwarded":false,"requestHeader":{"requestApiKey":0,"requestApiVersion":7,"correlationId":2,"clientId":"${client}","requestApiKeyName":"${api}"},` +
  `"request":{"acks":-1,"topicData":[{"name":"${topic}","partitionData":[{"index":0}]}]},` +
  // A response naming other topics, and a record whose text looks like a stage time: neither is read.
  `"response":{"responses":[{"name":"other.topic"}],"records":{"totalTimeMs":99}},"connection":"127.0.0.1:1-127.0.0.1:2-0",` +
  `"totalTimeMs":${total},"requestQueueTimeMs":0.03,"localTimeMs":0.1,"remoteTimeMs":${remote},"throttleTimeMs":0,"responseQueueTimeMs":0.02,"sendTimeMs":0.05,"securityProtocol":"PLAINTEXT"}`;

describe('parseRequestLine', () => {
  it('reads the client without its instance id, the request type, the first topic and the stage times', () => {
    expect(parseRequestLine(line({}))).toEqual({ client: 'flowgate-gateway', api: 'PRODUCE', topic: 'bench.requests', times: [0.2, 0.03, 0.1, 0, 0.02, 0.05] });
  });

  it("reads a fetch's topic from its own field and keeps a client id that is not flowgate's", () => {
    const fetch = line({ api: 'FETCH', client: 'floor-echo', total: 3 }).replace('"topicData":[{"name":', '"topics":[{"topic":');
    expect(parseRequestLine(fetch)).toMatchObject({ client: 'floor-echo', api: 'FETCH', topic: 'bench.requests', times: [3, 0.03, 0.1, 0, 0.02, 0.05] });
  });

  it('skips lines that are not completed requests or lack a stage time', () => {
    expect(parseRequestLine('[2026-11-30] INFO something else')).toBeUndefined();
    expect(parseRequestLine(line({}).replace(/"sendTimeMs":[0-9.]+,/, ''))).toBeUndefined();
  });
});

describe('summarize', () => {
  it('gives the median of each stage per client, request type and topic, leaving out groups below the least count', () => {
    const requests = [
      ...[0.1, 0.2, 0.9].map((total) => parseRequestLine(line({ total }))),
      ...[5, 50].map((total) => parseRequestLine(line({ api: 'FETCH', client: 'flowgate-processor-host-7', total, remote: total - 0.1 }))),
      parseRequestLine(line({ client: 'floor-client', topic: 'floor.requests' })),
    ];
    const rows = summarize(requests, 2);
    expect(rows.map(({ client, api, topic, n }) => [client, api, topic, n])).toEqual([
      ['flowgate-gateway', 'PRODUCE', 'bench.requests', 3],
      ['flowgate-processor', 'FETCH', 'bench.requests', 2],
    ]);
    expect(rows[0].p50[0]).toBe(0.2);
    expect(rows[0].p90).toBe(0.9);
    // Of two, the nearest rank is the larger.
    expect(rows[1].p50[3]).toBe(49.9);
    expect(renderSummary(rows).split('\n')[2]).toBe('| flowgate-gateway | PRODUCE | bench.requests | 3 | 0.200 | 0.030 | 0.100 | 0.000 | 0.020 | 0.050 | 0.900 |');
  });
});
