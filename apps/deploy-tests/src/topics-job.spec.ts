import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTopics, SCRIPT } from './support/topics-script';
import { repoRoot } from './support/tools';

describe('the topics Job script (create-topics.js)', () => {
  it('is the same file in the Helm chart and in the kustomize base', () => {
    expect(readFileSync(join(repoRoot, 'helm/flowgate/files/create-topics.js'), 'utf8')).toBe(readFileSync(SCRIPT, 'utf8'));
  });

  it.each([
    [{ KAFKA_BROKERS: '127.0.0.1:1', FLOWGATE_REQUEST_PARTITIONS: '0' }, 'FLOWGATE_REQUEST_PARTITIONS must be a positive integer'],
    [{ KAFKA_BROKERS: ' , ' }, 'KAFKA_BROKERS is empty'],
  ])('fails the Job on bad settings: %j', (env, message) => {
    const { status, stderr } = createTopics(env);
    expect(status).toBe(1);
    expect(stderr).toContain(message);
  });
});
