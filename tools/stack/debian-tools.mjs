// Debian packages the stack and tests need, installed with apt-get when missing: redis-server
// (the local Redis), redis-sentinel (failover of the replicated stack's Redis), prometheus
// (scraping the local stack in the deployment tests), nginx (the blue/green entry point of the
// drill), chromium (the console's browser test and screenshot), unzip (the Go toolchain of the
// bench's vegeta) and the libraries librdkafka links to (the bench's native-client floor).
//   node tools/stack/debian-tools.mjs prometheus nginx     # prints one "name=/path" line per tool
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { log, seconds } from './common.mjs';

/**
 * What each tool needs: the Debian packages and the binaries (or, for libraries, the header files)
 * they must provide. Debian puts nginx in /usr/sbin, which is not on every user's PATH, so the
 * usual directories are searched too.
 */
export const DEBIAN_TOOLS = {
  redis: { pkg: 'redis-server', binaries: ['redis-server'] },
  'redis-sentinel': { pkg: 'redis-sentinel', binaries: ['redis-sentinel'] },
  prometheus: { pkg: 'prometheus', binaries: ['prometheus', 'promtool'] },
  nginx: { pkg: 'nginx', binaries: ['nginx'] },
  chromium: { pkg: 'chromium', binaries: ['chromium'] },
  // Unpacks the Go toolchain the bench fetches from the Go module proxy to build vegeta.
  unzip: { pkg: 'unzip', binaries: ['unzip'] },
  // What @confluentinc/kafka-javascript's librdkafka links to when built with CKJS_LINKING=dynamic.
  'librdkafka-libs': { pkg: 'libzstd-dev liblz4-dev libsasl2-dev', files: ['/usr/include/zstd.h', '/usr/include/lz4.h', '/usr/include/sasl/sasl.h'] },
};

const SYSTEM_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

function isExecutable(file) {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findBinary(command) {
  const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), ...SYSTEM_DIRS];
  return dirs.map((dir) => join(dir, command)).find(isExecutable) ?? null;
}

function run(command, args) {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    // stdout goes to stderr: this script's own stdout carries only the name=path lines.
    spawn(command, args, { stdio: ['ignore', process.stderr, 'inherit'], env })
      .once('error', reject)
      .once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited with ${code}`))));
  });
}

const provides = ({ binaries = [], files = [] }) => [...binaries, ...files].join(', ');

function findAll({ binaries = [], files = [] }) {
  const found = Object.fromEntries([...binaries.map((b) => [b, findBinary(b)]), ...files.map((f) => [f, existsSync(f) ? f : null])]);
  return Object.values(found).every(Boolean) ? found : null;
}

/**
 * Returns { binary: path } for one tool of DEBIAN_TOOLS, installing its Debian package first
 * when a binary is missing and this runs as root. Idempotent and quick once installed; apt's
 * own cache keeps the downloaded packages, and the package lists are refreshed only when the
 * install fails without them (a fresh machine has none).
 */
export async function ensureDebianTool(name) {
  const tool = DEBIAN_TOOLS[name];
  if (!tool) throw new Error(`unknown tool ${name}; known: ${Object.keys(DEBIAN_TOOLS).join(', ')}`);
  const present = findAll(tool);
  if (present) return present;
  if (process.getuid?.() !== 0) {
    throw new Error(`${provides(tool)} not installed; install it (e.g. \`sudo apt-get install ${tool.pkg}\`)`);
  }
  const start = Date.now();
  log(`${name} not found; installing Debian's ${tool.pkg} with apt-get (first run only)`);
  const install = ['install', '-y', '--no-install-recommends', ...tool.pkg.split(' ')];
  try {
    await run('apt-get', install);
  } catch (error) {
    log(`apt-get install failed (${error.message}); refreshing the package lists and trying again`);
    await run('apt-get', ['update']);
    await run('apt-get', install);
  }
  const installed = findAll(tool);
  if (!installed) throw new Error(`apt-get installed ${tool.pkg} but ${provides(tool)} are still not found`);
  log(`${tool.pkg} installed (${seconds(start)})`);
  return installed;
}

async function main() {
  const names = process.argv.slice(2);
  if (names.length === 0) throw new Error(`usage: node tools/stack/debian-tools.mjs ${Object.keys(DEBIAN_TOOLS).join(' ')}`);
  for (const name of names) {
    for (const [binary, path] of Object.entries(await ensureDebianTool(name))) process.stdout.write(`${binary}=${path}\n`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    log(err.stack ?? String(err));
    process.exit(1);
  });
}
