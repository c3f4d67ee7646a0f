import { describe, expect, it } from '@jest/globals';
import { fromVegetaReport, vegetaTargets } from './vegeta.mjs';

describe('bench vegeta cross-check: its input and report', () => {
  it('writes a target file that POSTs the body file as JSON', () => {
    expect(vegetaTargets({ url: 'http://127.0.0.1:18180', path: '/v1/echo', bodyFile: '/tmp/b.json' }))
      .toBe('POST http://127.0.0.1:18180/v1/echo\nContent-Type: application/json\n@/tmp/b.json\n');
  });

  it('turns its JSON report (ns latencies, status code 0 for transport errors) into our figures', () => {
    const report = {
      latencies: { total: 0, mean: 2_000_000, '50th': 1_500_000, '90th': 3e6, '95th': 4e6, '99th': 12_250_000, max: 40e6, min: 4e5 },
      requests: 5000, rate: 1000.1, throughput: 998.4, success: 0.999,
      status_codes: { 200: 4995, 0: 5 },
      errors: ['Post "http://127.0.0.1:18180/v1/echo": context deadline exceeded', 'e2', 'e3', 'e4'],
    };
    expect(fromVegetaReport(report)).toEqual({
      sent: 5000, ok: 4995, statuses: { 200: 4995, error: 5 }, throughput: 998.4,
      p50: 1.5, p99: 12.25, max: 40, successShare: 0.999,
      errorSamples: ['Post "http://127.0.0.1:18180/v1/echo": context deadline exceeded', 'e2', 'e3'],
    });
  });

  it('reports no successes when nothing came back', () => {
    expect(fromVegetaReport({ requests: 10, status_codes: { 0: 10 }, latencies: {} })).toMatchObject({ ok: 0, statuses: { error: 10 }, p50: undefined });
  });
});
