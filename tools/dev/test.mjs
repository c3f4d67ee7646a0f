// `npm test`: packages, Kafka and Redis (own ports, or KAFKA_BROKERS / REDIS_URL), typecheck,
// lint, build, then the unit and end-to-end suites against that Kafka and Redis.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApps, ensureNpmPackages, log, root, run } from './bootstrap.mjs';
import { onPinnedNode } from './node-runtime.mjs';

await onPinnedNode();

ensureNpmPackages();
const { startStack } = await import('../stack/stack.mjs');

run('npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']);
run('npx', ['tsc', '-p', 'apps/console/src/web/tsconfig.json']); // the console's browser code (DOM types)
// Build first: it leaves Nx's project graph behind, which the module-boundary lint rule reads.
buildApps();
run('npx', ['eslint', '--max-warnings=0', '.']);

// The console's browser test drives Debian's chromium (installed here when missing and root;
// npm downloads no browser: playwright-core only).
const { ensureDebianTool } = await import('../stack/debian-tools.mjs');
const browser = await ensureDebianTool('chromium').catch((error) => {
  log(`no browser, the console's browser test will fail: ${error.message}`);
  return {};
});

// The HTTP fuzzing spec runs Schemathesis, from PyPI into a cached virtual environment (first run
// only); without it that spec fails, it never skips.
const { ensureSchemathesis } = await import('./python-tools.mjs');
let schemathesis;
try {
  schemathesis = ensureSchemathesis();
} catch (error) {
  log(`no Schemathesis, the HTTP fuzzing spec will fail: ${error.message}`);
}

const stack = await startStack({ name: 'test', kafkaPort: 29092, redisPort: 26379 });
let code = 1;
const report = join(mkdtempSync(join(tmpdir(), 'flowgate-test-')), 'jest.json');
try {
  const jest = spawnSync('npx', ['jest', '--runInBand', '--json', `--outputFile=${report}`, ...process.argv.slice(2)], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, KAFKA_BROKERS: stack.brokers, REDIS_URL: stack.redisUrl, ...(browser.chromium ? { FLOWGATE_CHROMIUM: browser.chromium } : {}), ...(schemathesis ? { FLOWGATE_SCHEMATHESIS: schemathesis } : {}) },
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
