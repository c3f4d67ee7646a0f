// The Node.js the project's commands run on: the one the images use (Dockerfile), so tests and
// benchmarks exercise the runtime users run. A machine whose own Node is older gets that version
// from the npm registry's platform package (node-<platform>-<arch>, the binary is inside it),
// cached like the Kafka jars, and the command runs again on it. Node built-ins only: this runs
// before the npm packages are installed on a fresh clone.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** The images' Node (Dockerfile `FROM node:<this>-bookworm-slim`; a test keeps the two equal). */
export const PINNED_NODE = '24.21.0';

const log = (message) => process.stderr.write(`[flowgate] ${message}\n`);
const major = (version) => Number(version.split('.')[0]);

/**
 * Returns when this process runs on Node >= the pinned major; otherwise runs the same command on
 * the pinned Node (installed when missing) and exits with its status. FLOWGATE_SYSTEM_NODE=1
 * keeps the machine's Node (to compare the two).
 */
export async function onPinnedNode() {
  if (process.env.FLOWGATE_SYSTEM_NODE === '1' || major(process.versions.node) >= major(PINNED_NODE)) return;
  log(`Node ${process.versions.node} is older than the images' ${PINNED_NODE}: running on it instead`);
  await runOnPinnedNode();
}

/** Runs this process's command again on the pinned Node, and exits with its exit code. */
export async function runOnPinnedNode() {
  const node = pinnedNodeBinary();
  const child = spawn(node, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    // npx and npm scripts find this node first, so everything below runs on it too.
    env: { ...process.env, PATH: `${dirname(node)}:${process.env.PATH ?? ''}` },
  });
  // Ctrl-C reaches the child from the terminal itself; a SIGTERM is passed on. Either way the
  // child decides when it is done, and this process leaves with it.
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  const code = await new Promise((resolve) => child.on('exit', (status, signal) => resolve(status ?? (signal ? 1 : 0))));
  process.exit(code);
}

/** The pinned Node's binary, fetched once into the cache. */
export function pinnedNodeBinary() {
  const cache = process.env.FLOWGATE_CACHE_DIR ?? join(homedir(), '.cache', 'flowgate');
  const dir = join(cache, `node-${PINNED_NODE}`);
  const binary = join(dir, 'bin', 'node');
  if (existsSync(binary)) return binary;
  const pkg = `node-${process.platform}-${process.arch}@${PINNED_NODE}`;
  log(`fetching ${pkg} from the npm registry (once; cached in ${dir})…`);
  mkdirSync(cache, { recursive: true });
  const scratch = mkdtempSync(join(cache, 'node-download-'));
  try {
    const packed = spawnSync('npm', ['pack', pkg, '--silent', '--pack-destination', scratch], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    const tarball = packed.stdout?.trim().split('\n').pop();
    if (packed.status !== 0 || !tarball) throw new Error(`npm pack ${pkg} failed (${packed.status})`);
    const untar = spawnSync('tar', ['-xzf', join(scratch, tarball), '-C', scratch], { stdio: 'inherit' });
    if (untar.status !== 0) throw new Error(`unpacking ${tarball} failed`);
    if (!existsSync(join(scratch, 'package', 'bin', 'node'))) throw new Error(`${pkg} has no bin/node`);
    // Renamed into place whole, so an interrupted download never looks installed.
    renameSync(join(scratch, 'package'), dir);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return binary;
}
