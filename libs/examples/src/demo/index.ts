import { defineJobs } from '@flowgate/stream';
import { counterJob } from './counter.job';
import { delayJob, echoJob } from './echo-delay.jobs';
import { failJob } from './fail.job';
import { ipCountSlidingJob } from './ip-count-sliding.job';
import { ipCountJob } from './ip-count.job';

/** The demo jobs `npm start` runs: FLOWGATE_JOBS=dist/examples/demo.js. */
export const jobs = defineJobs(({ topic }) => [echoJob, delayJob, failJob, counterJob, ipCountJob(topic), ipCountSlidingJob(topic)]);
