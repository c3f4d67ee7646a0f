import { join } from 'node:path';
import { repoRoot, runCommand } from './tools';

export const SCRIPT = join(repoRoot, 'k8s/base/topics/create-topics.js');

/** Runs the Job's script the way the Job does: node, working directory holding node_modules. */
export function createTopics(env: Record<string, string>) {
  const result = runCommand('node', [SCRIPT], { cwd: repoRoot, env: { PATH: process.env.PATH, ...env } });
  const topics = result.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { topic: string; partitions: number; created: boolean });
  return { ...result, topics };
}
