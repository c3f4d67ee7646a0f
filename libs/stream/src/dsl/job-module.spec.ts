import type { Job } from './job';
import { job, route } from './job-builder';
import { defineJobs, JobContext, jobContext, jobsOfModule } from './job-module';

const context = jobContext('fg.');
const echo = job('echo').fromRoute(route({ name: 'echo', summary: 'answers with its body' })).toReply();

describe('jobContext', () => {
  it('puts the names a job module gives under the topic prefix', () => {
    expect(context.topicPrefix).toBe('fg.');
    expect(context.topic('clicks')).toBe('fg.clicks');
    expect(jobContext('').topic('clicks')).toBe('clicks');
  });

  it('hands the module the DSL, so a job built from it is a job the runtime takes', async () => {
    const built = context.job('upper').fromRoute(context.route({ name: 'upper', summary: 'upper-cases' })).toReply();
    expect(await jobsOfModule('upper.js', { jobs: [built] }, context)).toEqual([built]);
  });
});

describe('jobsOfModule', () => {
  it('takes the jobs export, before a default export', async () => {
    const other = job('other').fromTopic('t').toTopic('u');
    expect(await jobsOfModule('m', { jobs: [echo], default: [other] }, context)).toEqual([echo]);
  });

  it('takes the default export when there is no jobs export', async () => {
    expect(await jobsOfModule('m', { default: [echo] }, context)).toEqual([echo]);
  });

  it('takes the jobs of a CommonJS module, whose exports arrive as the default export', async () => {
    expect(await jobsOfModule('m.cjs', { default: { jobs: [echo] } }, context)).toEqual([echo]);
  });

  it('calls a function export with the context (sync or async) and takes what it returns', async () => {
    const seen: JobContext[] = [];
    const jobs = defineJobs(async (ctx) => {
      seen.push(ctx);
      return [ctx.job('clicks').fromTopic(ctx.topic('clicks')).toTopic(ctx.topic('out'))];
    });

    const [clicks] = await jobsOfModule('m', { jobs }, context);

    expect(seen).toEqual([context]);
    expect(clicks.source).toEqual({ kind: 'topic', topic: 'fg.clicks' });
    expect(await jobsOfModule('m', { default: () => [echo] }, context)).toEqual([echo]);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['no export', {}, 'job module my-jobs has neither a "jobs" nor a default export'],
    ['an empty list', { jobs: [] }, 'job module my-jobs exports no jobs (expected a non-empty array of jobs)'],
    ['a function giving nothing', { jobs: () => undefined }, 'job module my-jobs exports no jobs'],
    ['a single job, not a list', { jobs: echo }, 'job module my-jobs exports no jobs'],
    ['a list with something else', { jobs: [echo, { name: 'half a job' }] }, 'job module my-jobs: export 1 is not a job'],
    ['a job builder never finished', { jobs: [job('unfinished').fromTopic('t')] }, 'job module my-jobs: export 0 is not a job'],
  ])('refuses %s, naming the module', async (_case, module, message) => {
    await expect(jobsOfModule('my-jobs', module, context)).rejects.toThrow(message);
  });

  it('lets the function export fail with its own error', async () => {
    const jobs = (): Job[] => {
      throw new Error('FLOWGATE_CLICKS_TOPIC is not set');
    };
    await expect(jobsOfModule('m', { jobs }, context)).rejects.toThrow('FLOWGATE_CLICKS_TOPIC is not set');
  });
});
