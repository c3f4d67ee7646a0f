import { describe, expect, it } from '@jest/globals';
import { accountCpu, parseStat } from './cpu-account.mjs';

// A real /proc/<pid>/stat line (from a shell), with a command name that has a space and a ')'.
const stat = (utime, stime, cutime, cstime) =>
  `12717 (my (odd) name) S 12716 12717 12717 0 -1 4194560 6754 2053892 0 46 ${utime} ${stime} ${cutime} ${cstime} 20 0 1 0 2723081 5246976 1010`;

describe('bench CPU accounting from /proc samples', () => {
  it('reads utime + stime and the waited-for children\'s cutime + cstime, in seconds', () => {
    expect(parseStat(stat(250, 50, 1200, 300), 100)).toEqual({ cpuS: 3, childrenCpuS: 15 });
    expect(parseStat(stat(250, 50, 0, 0), 1000)).toEqual({ cpuS: 0.3, childrenCpuS: 0 });
  });

  it('refuses a text that is not a stat line', () => {
    expect(() => parseStat('12 (x) S 1 2')).toThrow('not a /proc/<pid>/stat line');
  });

  it('charges the step\'s CPU per answered request by role, with Kafka\'s idle use taken out', () => {
    const account = accountCpu({
      before: { gateway: 10, processor: 20, redis: 1, kafka: 100, load: 5 },
      after: { gateway: 11.5, processor: 21, redis: 1.1, kafka: 103, load: 6 },
      roles: { gateway: 'app', processor: 'app', redis: 'app', kafka: 'kafka', load: 'generator' },
      requests: 5000,
      wallS: 5,
      idleRates: { kafka: 0.2 }, // 1 s of its 3 s was idle polling
    });
    expect(account.byProcess.gateway).toEqual({ role: 'app', cpuS: 1.5, msPerRequest: 0.3 });
    expect(account.app).toBeCloseTo(0.52); // (1.5 + 1 + 0.1) s / 5000 requests
    expect(account.kafka).toBeCloseTo(0.4); // (3 - 1) s / 5000
    expect(account.generator).toBeCloseTo(0.2);
    expect(account.system).toBeCloseTo(0.92);
    expect(account.machine).toBeCloseTo(1.12);
    expect(account.missing).toEqual([]);
  });

  it('never charges less than nothing when a process was idler than its idle rate', () => {
    const account = accountCpu({ before: { kafka: 10 }, after: { kafka: 10.1 }, roles: { kafka: 'kafka' }, requests: 100, wallS: 5, idleRates: { kafka: 0.2 } });
    expect(account.kafka).toBe(0);
  });

  it('names a process it could not sample at both ends (exited) and counts it as 0', () => {
    const account = accountCpu({ before: { gateway: 1, processor: 2 }, after: { gateway: 2 }, roles: { gateway: 'app', processor: 'app' }, requests: 1000 });
    expect(account.missing).toEqual(['processor']);
    expect(account.app).toBe(1);
  });

  it('has no per-request figure for a step that answered nothing, and refuses an unknown role', () => {
    expect(accountCpu({ before: { a: 1 }, after: { a: 2 }, roles: { a: 'app' }, requests: 0 }).system).toBeUndefined();
    expect(() => accountCpu({ before: {}, after: {}, roles: { a: 'db' }, requests: 1 })).toThrow('unknown role db of a');
  });
});
