import { job, route } from '../dsl/job-builder';
import { tumbling } from '../operators/window-assigner';
import { JobSetError, placeJobs } from './job-placement';

const options = { prefix: 'fg.', partitions: 6 };
const count = { init: () => 0, add: (n: number) => n + 1 };

/** A stateless route on the shared requests topic. */
const echoRoute = route({ name: 'echo', summary: 'answers with its body' });
const echo = job('echo').fromRoute(echoRoute).toReply();

/** A keyed route job on a topic of its own. */
const counterRoute = route({ name: 'counter', summary: 'counts per key', keyField: 'key', topic: 'counter' });
const counter = job('counter-job')
  .fromRoute(counterRoute)
  .keyBy('by key', (body) => String(body.key))
  .process('count', ['counts'], (_body, _ctx, state) => {
    const n = (state.get<number>('counts') ?? 0) + 1;
    state.put('counts', n);
    return { count: n };
  })
  .toReply();

/** A topic job with a window, a side output for late events and a topic sink. */
const clicks = job('clicks')
  .fromTopic<{ user: string; ts: number }>('fg.clicks')
  .keyBy('by user', (c) => c.user)
  .window(tumbling(60_000), { eventTime: (c) => c.ts, allowedLatenessMs: 5_000, lateTo: 'fg.clicks.late' })
  .aggregate('per minute', count)
  .toTopic('fg.clicks-per-minute');

function refusal(place: () => unknown): JobSetError {
  try {
    place();
  } catch (error) {
    if (error instanceof JobSetError) return error;
    throw error;
  }
  throw new Error('placeJobs accepted the jobs');
}

describe('placeJobs', () => {
  it('runs stateless jobs of the shared topic on the shared consumer, by route, and needs no topic for them', () => {
    const placement = placeJobs([echo], options);

    expect([...placement.sharedRoutes]).toEqual([['echo', echo]]);
    expect(placement.partitioned).toEqual([]);
    expect(placement.topics).toEqual([]);
    expect(placement.catalog).toEqual([{ job: 'echo', route: echoRoute }]);
  });

  it('runs a keyed job on its route topic, under the prefix, with a compacted changelog', () => {
    const placement = placeJobs([echo, counter], options);

    expect(placement.partitioned).toEqual([{ job: counter, sourceTopic: 'fg.counter' }]);
    expect([...placement.sharedRoutes.keys()]).toEqual(['echo']);
    expect(placement.topics).toEqual([
      { topic: 'fg.counter', numPartitions: 6 },
      { topic: 'fg.counter-job.changelog', numPartitions: 6, configs: { 'cleanup.policy': 'compact' } },
    ]);
    expect(placement.catalog.map((entry) => `${entry.job}:${entry.route.name}`)).toEqual(['echo:echo', 'counter-job:counter']);
  });

  it('runs a stateless route job with a topic of its own partition by partition too', () => {
    const ordered = job('ordered').fromRoute(route({ name: 'ordered', summary: 'in order per key', topic: 'ordered' })).toReply();

    const placement = placeJobs([ordered], options);

    expect(placement.sharedRoutes.size).toBe(0);
    expect(placement.partitioned).toEqual([{ job: ordered, sourceTopic: 'fg.ordered' }]);
  });

  it('reads a topic source as named and creates the topics the job writes: sink and late side output', () => {
    const placement = placeJobs([clicks], options);

    expect(placement.partitioned).toEqual([{ job: clicks, sourceTopic: 'fg.clicks' }]);
    expect(placement.topics).toEqual([
      { topic: 'fg.clicks', numPartitions: 6 },
      { topic: 'fg.clicks.changelog', numPartitions: 6, configs: { 'cleanup.policy': 'compact' } },
      { topic: 'fg.clicks.late', numPartitions: 6 },
      { topic: 'fg.clicks-per-minute', numPartitions: 6 },
    ]);
    expect(placement.catalog).toEqual([]);
  });

  it('reports every problem of a job set at once', () => {
    const keyedOnShared = job('keyed-shared')
      .fromRoute(route({ name: 'tally', summary: 'keyed, but on the shared topic' }))
      .keyBy('by key', (body) => String(body.key))
      .process('tally', ['tally'], (body) => body)
      .toReply();
    const topicSinkOnShared = job('forward').fromRoute(route({ name: 'forward', summary: 'writes a topic' })).toTopic('fg.forwarded');
    const hits = route({ name: 'hits', summary: 'hits per ip', topic: 'hits' });
    const foreignQuery = job('hits')
      .fromRoutes([hits])
      .keyBy('by ip', (body) => String(body.ip))
      .window(tumbling(5_000), { eventTime: (_body, ctx) => ctx.timestamp, allowedLatenessMs: 0 })
      .aggregate('per 5 s', count, { query: { routes: ['echo'], answer: (_key, windows) => windows } })
      .toTopic('fg.hits-per-5s');
    const echoAgain = job('echo').fromRoute(route({ name: 'echo2', summary: 'a second job named echo' })).toReply();
    const echoRouteAgain = job('echo-too').fromRoute(echoRoute).toReply();
    const badName = job('no spaces, please').fromRoute(route({ name: 'spaced', summary: 'a job name Kafka refuses' })).toReply();

    const { problems } = refusal(() => placeJobs([echo, keyedOnShared, topicSinkOnShared, foreignQuery, echoAgain, echoRouteAgain, badName], options));

    expect(problems).toEqual([
      'job keyed-shared keeps keyed state: its routes need a topic of their own (topic in the declaration)',
      'job forward: a job on the shared requests topic cannot write to a topic (give its route a topic of its own)',
      "job hits: window per 5 s answers route echo, which is not one of the job's routes",
      'two jobs are named echo',
      'route echo is served by both job echo and job echo-too',
      'job name "no spaces, please" must be 1 to 100 characters of A-Z a-z 0-9 . _ -',
    ]);
  });

  it('refuses with an error that is not worth retrying and names the problems in its message', () => {
    const error = refusal(() => placeJobs([echo, echo], options));

    expect(error.message).toBe('the jobs cannot run: two jobs are named echo; route echo is served by both job echo and job echo');
    expect(error.retriable).toBe(false);
  });
});
