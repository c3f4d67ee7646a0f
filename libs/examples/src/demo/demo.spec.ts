import { jobContext, jobsOfModule, placeJobs } from '@flowgate/stream';
import { jobPartition } from '@flowgate/stream/testing';
import { accessEventIp, accessEventTime } from './access-event';
import { counterJob } from './counter.job';
import { delayJob } from './echo-delay.jobs';
import * as demo from './index';

describe('the demo job module', () => {
  it('loads as the processor loads it, and its jobs fit together', async () => {
    const jobs = await jobsOfModule('demo', demo, jobContext('flowgate.'));
    expect(jobs.map((j) => j.name)).toEqual(['echo', 'delay', 'fail', 'counter', 'ip-count', 'ip-count-sliding']);
    const placement = placeJobs(jobs, { prefix: 'flowgate.', partitions: 8 });
    expect(placement.catalog.map((e) => `${e.job}:${e.route.name}`)).toEqual([
      'echo:echo', 'delay:delay', 'fail:fail', 'counter:counter', 'counter:counter-get', 'ip-count:ip-counts',
    ]);
    expect([...placement.sharedRoutes.keys()]).toEqual(['echo', 'delay', 'fail']);
    expect(placement.partitioned.map((p) => `${p.job.name} on ${p.sourceTopic}`)).toEqual([
      'counter on flowgate.counter', 'ip-count on flowgate.access-log', 'ip-count-sliding on flowgate.access-log',
    ]);
  });
});

describe('counter job', () => {
  it('adds to a key and reads it back, per key', async () => {
    const p = jobPartition(counterJob);
    expect(await p.send({ key: 'a', by: 2 }, { route: 'counter' })).toEqual([{ key: 'a', value: 2 }]);
    expect(await p.send({ key: 'a' }, { route: 'counter' })).toEqual([{ key: 'a', value: 3 }]);
    expect(await p.send({ key: 'b' }, { route: 'counter-get' })).toEqual([{ key: 'b', value: 0 }]);
    expect(await p.send({ key: 'a' }, { route: 'counter-get' })).toEqual([{ key: 'a', value: 3 }]);
  });

  it('refuses a "by" that is not a whole number, and keeps the count', async () => {
    const p = jobPartition(counterJob);
    await p.send({ key: 'a' }, { route: 'counter' });
    await expect(p.send({ key: 'a', by: 1.5 }, { route: 'counter' })).rejects.toThrow('"by" must be a whole number');
    expect(await p.send({ key: 'a' }, { route: 'counter-get' })).toEqual([{ key: 'a', value: 1 }]);
  });
});

describe('counter job with a key or "by" of the wrong type', () => {
  it.each([{}, { key: null }, { key: '' }, { key: { a: 1 } }, { key: ['a'] }, { key: true }, { key: 'k'.repeat(257) }])('refuses %j, and counts nothing', async (body) => {
    const p = jobPartition(counterJob);
    await expect(p.send(body, { route: 'counter' })).rejects.toThrow('"key" must be a string of 1 to 256 characters or a number');
    expect(await p.send({ key: 'null' }, { route: 'counter-get' })).toEqual([{ key: 'null', value: 0 }]);
    expect(await p.send({ key: '[object Object]' }, { route: 'counter-get' })).toEqual([{ key: '[object Object]', value: 0 }]);
  });

  it.each([null, '2', [2], { n: 2 }])('refuses by=%j instead of counting it as 1', async (by) => {
    const p = jobPartition(counterJob);
    await expect(p.send({ key: 'a', by }, { route: 'counter' })).rejects.toThrow('"by" must be a whole number');
    expect(await p.send({ key: 'a' }, { route: 'counter-get' })).toEqual([{ key: 'a', value: 0 }]);
  });
});

describe('access-log events', () => {
  it.each([{}, { ip: 7 }, { ip: null }, { ip: '' }, { ip: { v4: '10.0.0.1' } }])('refuse an ip that is not a string: %j', (event) => {
    expect(() => accessEventIp(event)).toThrow('"ip" must be a string of 1 to 256 characters');
  });

  it.each([{}, { ts: '1700000000000' }, { ts: null }, { ts: -1 }, { ts: 1.5 }])('refuse a ts that is not epoch ms: %j', (event) => {
    expect(() => accessEventTime(event)).toThrow('"ts" must be epoch milliseconds');
  });
});

describe('delay job', () => {
  it.each([-1, 60_001, 1.5, '10'])('refuses ms=%j', async (ms) => {
    await expect(jobPartition(delayJob).send({ ms })).rejects.toThrow('"ms" must be a whole number from 0 to 60000');
  });
});
