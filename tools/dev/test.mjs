// `npm test`: packages, Kafka and Redis (own ports, or KAFKA_BROKERS / REDIS_URL), typecheck,
// lint, build, then the unit and end-to-end suites against that Kafka and Redis.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApps, ensureNpmPackages, log, root, run } from './bootstrap.mjs';

ensureNpmPackages();
const { startStack } = await import('../stack/stack.mjs');

run('npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']);
// Build first: it leaves Nx's project graph behind, which the module-boundary lint rule reads.
buildApps();
run('npx', ['eslint', '--max-warnings=0', '.']);

const stack = await startStack({ name: 'test', kafkaPort: 29092, redisPort: 26379 });
let code = 1;
const report = join(mkdtempSync(join(tmpdir(), 'flowgate-test-')), 'jest.json');
try {
  const jest = spawnSync('npx', ['jest', '--runInBand', '--json', `--outputFile=${report}`, ...process.argv.slice(2)], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, KAFKA_BROKERS: stack.brokers, REDIS_URL: stack.redisUrl },
  });
  code = jest.status ?? 1;
} finally {
  await stack.stop();
}
log(code === 0 ? 'all tests passed' : `tests failed (exit ${code})`);
if (existsSync(report)) {
  const { numPassedTests, numFailedTests, numPendingTests } = JSON.parse(readFileSync(report, 'utf8'));
  // The plain closing line CI reads, whatever the runner.
  console.log(`tests: ${numPassedTests} passed, ${numFailedTests} failed, ${numPendingTests} skipped`);
}
process.exit(code);
