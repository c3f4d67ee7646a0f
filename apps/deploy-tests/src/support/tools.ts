import { execFileSync, spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

export const repoRoot = resolve(__dirname, '../../../..');

/** The first run builds helm and kustomize from source: minutes on 2 cores, then cached. */
export const INSTALL_TIMEOUT_MS = 20 * 60_000;

export interface Tools {
  readonly helm: string;
  readonly kustomize: string;
  readonly kubeStrict: string;
}

let tools: Tools | undefined;

/**
 * Runs tools/helm/install.sh (a no-op when the pinned binaries are cached) and returns their
 * paths. Throws with the installer's own explanation when it cannot install, e.g. without Go:
 * these specs fail rather than pass without having checked anything.
 */
export function ensureTools(): Tools {
  if (tools) return tools;
  const run = spawnSync('bash', [join(repoRoot, 'tools/helm/install.sh')], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: INSTALL_TIMEOUT_MS,
  });
  if (run.status !== 0) {
    throw new Error(
      `tools/helm/install.sh failed (exit ${run.status ?? run.signal}); the deployment specs need helm, kustomize ` +
        `and kube-strict:\n${run.stderr}${run.error ? String(run.error) : ''}`,
    );
  }
  const bin = run.stdout.trim().split('\n').pop() ?? '';
  tools = { helm: join(bin, 'helm'), kustomize: join(bin, 'kustomize'), kubeStrict: join(bin, 'kube-strict') };
  return tools;
}

export interface CommandResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command; never throws on a non-zero exit (callers assert on it). */
export function runCommand(command: string, args: string[], options: { input?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {}): CommandResult {
  const result = spawnSync(command, args, {
    cwd: options.cwd ?? repoRoot,
    input: options.input,
    encoding: 'utf8',
    env: options.env ?? process.env,
    maxBuffer: 64 * 1024 * 1024,
    timeout: 120_000,
  });
  if (result.error) throw result.error;
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** Runs a command that must succeed and returns its stdout. */
export function mustRun(command: string, args: string[], options: { input?: string; cwd?: string } = {}): string {
  const result = runCommand(command, args, options);
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited ${result.status}:\n${result.stderr}${result.stdout}`);
  }
  return result.stdout;
}

/** Version a Go binary was built from (its embedded module version). */
export function goModuleVersion(binary: string, module: string): string | undefined {
  const info = execFileSync('go', ['version', '-m', binary], { encoding: 'utf8' });
  return info
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .find((fields) => fields[0] === 'mod' && fields[1] === module)?.[2];
}
