// @confluentinc/kafka-javascript (librdkafka bound to Node) for the floor's native-client variant
// (bench/floor/kafka/confluent.mjs). Not a dependency of flowgate: built once, on demand, into
// ~/.cache/flowgate/ckjs-<version>-abi<Node's module ABI>, linked against Debian's zstd, lz4 and
// SASL libraries (CKJS_LINKING=dynamic) — its install script would fetch a prebuilt binary from
// GitHub, which this machine cannot reach, so it is skipped and node-gyp builds it instead.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { ensureDebianTool } from '../../tools/stack/debian-tools.mjs';

export const NATIVE_KAFKA_PACKAGE = '@confluentinc/kafka-javascript';
export const NATIVE_KAFKA_VERSION = '1.10.1';
const NODE_GYP_VERSION = '11.4.2';

/** Where it is built, one directory per version and Node ABI (a native addon is bound to both). */
export const nativeKafkaDir = join(homedir(), '.cache/flowgate', `ckjs-${NATIVE_KAFKA_VERSION}-abi${process.versions.modules}`);

const loads = () => spawnSync(process.execPath, ['-e', `require(${JSON.stringify(NATIVE_KAFKA_PACKAGE)})`], { cwd: nativeKafkaDir }).status === 0;

function run(command, args, options) {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 900_000, ...options });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${(result.stderr || result.error?.message || '').trim().slice(-800)}`);
}

/** Builds it unless a build for this Node is there already; minutes the first time. */
export async function ensureNativeKafka({ log = () => {} } = {}) {
  if (existsSync(nativeKafkaDir) && loads()) return nativeKafkaDir;
  await ensureDebianTool('librdkafka-libs');
  const started = Date.now();
  log(`building ${NATIVE_KAFKA_PACKAGE}@${NATIVE_KAFKA_VERSION} for Node ${process.version} into ${nativeKafkaDir} (once; a few minutes)`);
  mkdirSync(nativeKafkaDir, { recursive: true });
  writeFileSync(join(nativeKafkaDir, 'package.json'), '{ "private": true }\n');
  const npm = join(dirname(process.execPath), 'npm');
  run(existsSync(npm) ? npm : 'npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', `${NATIVE_KAFKA_PACKAGE}@${NATIVE_KAFKA_VERSION}`, `node-gyp@${NODE_GYP_VERSION}`], { cwd: nativeKafkaDir });
  // The headers of the Node that runs it: the pinned Node's package carries them (include/node).
  // Set through the environment, where npm's own configuration (an npmrc's nodedir, e.g. Debian's
  // /usr for its Node 20) would otherwise win over a --nodedir flag and build for another Node.
  const nodeDir = dirname(dirname(process.execPath));
  const headers = existsSync(join(nodeDir, 'include/node/node.h')) ? { npm_config_nodedir: nodeDir } : {};
  run(process.execPath, [join(nativeKafkaDir, 'node_modules/node-gyp/bin/node-gyp.js'), 'rebuild'], {
    cwd: join(nativeKafkaDir, 'node_modules', NATIVE_KAFKA_PACKAGE), env: { ...process.env, ...headers, CKJS_LINKING: 'dynamic' },
  });
  if (!loads()) throw new Error(`${NATIVE_KAFKA_PACKAGE} built in ${nativeKafkaDir} but does not load`);
  log(`${NATIVE_KAFKA_PACKAGE} built (${Math.round((Date.now() - started) / 1000)} s)`);
  return nativeKafkaDir;
}
