import { CommandResult, repoRoot, runCommand } from './tools';

/** What the topics Job runs in the processor image: the processor bundle's ensure-topics mode. */
export const ENSURE_TOPICS: readonly string[] = ['node', 'dist/apps/processor/main.js', 'ensure-topics'];

/**
 * Runs a topics Job's command as its container does: from the repository root, which holds dist/
 * and node_modules as the image's /app does, with nothing in the environment but `env`.
 */
export function runTopicsJob(command: readonly string[], env: Record<string, string>): CommandResult {
  const [program, ...args] = command;
  return runCommand(program === 'node' ? process.execPath : program, args, { cwd: repoRoot, env: { PATH: process.env.PATH, ...env } });
}
