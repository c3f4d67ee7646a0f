import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execForm, imageStages, parseDockerfile } from './support/dockerfile';
import { builtFile, nxProject } from './support/nx';
import { ENSURE_TOPICS, runTopicsJob } from './support/topics-job';
import { repoRoot } from './support/tools';

// The topics Job of the chart and of the kustomize base runs ENSURE_TOPICS in the processor
// image (helm-chart.spec.ts and kustomize.spec.ts check that wiring); topics-job.e2e-spec.ts runs
// it against a real Kafka.

describe('the topics Job\'s command', () => {
  it('starts the bundle the processor image runs, from the image\'s working directory', () => {
    const image = imageStages(parseDockerfile(readFileSync(join(repoRoot, 'Dockerfile'), 'utf8'), { APP: 'processor' })).flatMap((s) => s.instructions);
    const [cmd] = image.filter((i) => i.keyword === 'CMD').slice(-1);
    const argv = execForm(cmd.args) ?? [];
    expect([argv[0], argv[argv.length - 1]]).toEqual(ENSURE_TOPICS.slice(0, 2));
    expect(image.filter((i) => i.keyword === 'WORKDIR').map((i) => i.args)).toEqual(['/app']);
  });

  describe('on bad settings', () => {
    beforeAll(() => {
      if (!builtFile(nxProject('processor'), ENSURE_TOPICS[1])) throw new Error(`${ENSURE_TOPICS[1]} is missing after the build`);
    });

    it.each([
      [{ KAFKA_BROKERS: '127.0.0.1:1', FLOWGATE_REQUEST_PARTITIONS: '0' }, 'FLOWGATE_REQUEST_PARTITIONS'],
      [{ KAFKA_BROKERS: '127.0.0.1:1', FLOWGATE_TOPIC_PREFIX: 'no spaces.' }, 'FLOWGATE_TOPIC_PREFIX'],
      [{ KAFKA_BROKERS: '127.0.0.1:1', KAFKA_SASL_MECHANISM: 'scram-sha-512' }, 'KAFKA_SASL_USERNAME'],
    ])('fails the Job and names the variable: %j', (env, name) => {
      const { status, stderr } = runTopicsJob(ENSURE_TOPICS, env);
      expect(status).not.toBe(0);
      expect(stderr).toContain(name);
    });
  });
});
