import { KafkaTopics } from './support/kafka-topics';
import { containerEnv, helmTemplate, K8sObject, ofKind } from './support/manifests';
import { builtFile, nxProject } from './support/nx';
import { AppName, ColourStack, stackEnv, uniquePrefix } from './support/processes';
import { runTopicsJob } from './support/topics-job';
import { ensureTools, INSTALL_TIMEOUT_MS } from './support/tools';

// The chart's topics Job, run as its pod would run it (the command and environment of the
// rendered Job, from a working directory holding dist/ like the processor image's /app) against
// the Kafka of `npm test`; then the apps, started with the chart's environment, must find every
// topic they need already there.

/** The chart rendered for one test: its own topic prefix, on the shared Kafka and Redis. */
function render(prefix: string, set: Record<string, string | number> = {}): K8sObject[] {
  const { KAFKA_BROKERS, REDIS_URL } = stackEnv();
  // One gateway: with its rollout surge it fits the 2 reply partitions of the growth test.
  return helmTemplate('flowgate', {
    release: 'flowgate-blue',
    set: { topicPrefix: prefix, 'kafka.brokers': KAFKA_BROKERS, 'redis.url': REDIS_URL, 'gateway.replicas': 1, ...set },
  });
}

function topicsJob(objects: K8sObject[]): { command: string[]; env: Record<string, string> } {
  const [job] = ofKind(objects, 'Job');
  const [container] = job.spec.template.spec.containers;
  return { command: container.command, env: containerEnv(container, objects) };
}

/** The environment of each app's container in the rendered chart, one instance id per app. */
function appEnvs(objects: K8sObject[]): Record<AppName, Record<string, string>> {
  const envs: Partial<Record<AppName, Record<string, string>>> = {};
  for (const deployment of ofKind(objects, 'Deployment')) {
    const [container] = deployment.spec.template.spec.containers;
    envs[container.name as AppName] = { ...containerEnv(container, objects), FLOWGATE_INSTANCE_ID: `deploytest-${container.name}` };
  }
  return envs as Record<AppName, Record<string, string>>;
}

describe('the topics Job on a real Kafka', () => {
  let kafka: KafkaTopics;
  beforeAll(() => {
    ensureTools();
    kafka = new KafkaTopics(stackEnv().KAFKA_BROKERS);
  }, INSTALL_TIMEOUT_MS);
  afterAll(() => kafka?.close());

  it('creates every topic the apps need, with the values\' partition counts and a compacted route catalog', async () => {
    const prefix = uniquePrefix('topics');
    const objects = render(prefix, { 'kafka.requestPartitions': 3, 'kafka.replyPartitions': 5 });
    const job = topicsJob(objects);
    // The job modules are part of the processor image; here they come from the examples build.
    for (const module of job.env.FLOWGATE_JOBS.split(',')) expect({ module, built: builtFile(nxProject('examples'), module) }).toEqual({ module, built: true });

    const run = runTopicsJob(job.command, job.env);
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: expect.any(String) });
    const created = await kafka.partitions(prefix);
    expect(created).toMatchObject({ [`${prefix}requests`]: 3, [`${prefix}replies`]: 5, [`${prefix}dlq`]: expect.any(Number) });
    expect(Object.keys(created)).toContain(`${prefix}routes`);
    expect(await kafka.setting(`${prefix}routes`, 'cleanup.policy')).toMatch(/compact/);

    // The apps with the same values: they become ready, and there is no topic they had to add.
    const stack = await ColourStack.start(prefix, appEnvs(objects));
    try {
      expect(await kafka.partitions(prefix)).toEqual(created);
    } finally {
      await stack.stop();
    }
  }, 240_000);

  it('grows partition counts on a later run and never shrinks them', async () => {
    const prefix = uniquePrefix('topics');
    const first = topicsJob(render(prefix, { 'kafka.requestPartitions': 3, 'kafka.replyPartitions': 5 }));
    expect(runTopicsJob(first.command, first.env).status).toBe(0);
    const before = await kafka.partitions(prefix);

    const second = topicsJob(render(prefix, { 'kafka.requestPartitions': 4, 'kafka.replyPartitions': 2 }));
    const run = runTopicsJob(second.command, second.env);
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: expect.any(String) });
    const after = await kafka.partitions(prefix);
    expect(Object.keys(after)).toEqual(Object.keys(before));
    expect(after[`${prefix}requests`]).toBe(4);
    expect(after[`${prefix}replies`]).toBe(5);
    for (const [topic, count] of Object.entries(before)) expect({ topic, shrunk: after[topic] < count }).toEqual({ topic, shrunk: false });
  }, 120_000);

  it('fails with the reason when a job module in FLOWGATE_JOBS cannot be loaded', () => {
    const prefix = uniquePrefix('topics');
    const job = topicsJob(render(prefix, { 'processor.jobs': 'dist/examples/no-such-job.js' }));
    const run = runTopicsJob(job.command, job.env);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('dist/examples/no-such-job.js');
  }, 120_000);
});
