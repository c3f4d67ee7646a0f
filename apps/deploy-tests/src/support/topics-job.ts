import { spawnSync } from 'node:child_process';
import { CommandResult, repoRoot } from './tools';

/** What the topics Job runs in the processor image: the processor bundle's ensure-topics mode. */
export const ENSURE_TOPICS: readonly string[] = ['node', 'dist/apps/processor/main.js', 'ensure-topics'];

/** A Job that has not finished by then never would: ensuring topics takes seconds. */
const JOB_TIMEOUT_MS = 90_000;

/**
 * Runs a topics Job's command as its container does: from the repository root, which holds dist/
 * and node_modules as the image's /app does, with nothing in the environment but `env`. Throws
 * when the command does not exit on its own.
 */
export function runTopicsJob(command: readonly string[], env: Record<string, string>): CommandResult {
  const [program, ...args] = command;
  const result = spawnSync(program === 'node' ? process.execPath : program, args, {
    cwd: repoRoot,
    env: { PATH: process.env.PATH, ...env },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: JOB_TIMEOUT_MS,
  });
  if (result.error && (result.error as NodeJS.ErrnoException).code === 'ETIMEDOUT') {
    throw new Error(`${command.join(' ')} did not exit within ${JOB_TIMEOUT_MS} ms, so the Job would never complete:\n${result.stderr}${result.stdout}`.slice(0, 4_000), { cause: result.error });
  }
  if (result.error) throw result.error;
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}
