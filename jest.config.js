// Unit specs sit beside the code (*.spec.ts); end-to-end specs (*.e2e-spec.ts) talk
// to the real Kafka and Redis that tools/dev/test.mjs starts, through the built app bundles.
const { compilerOptions } = require('./tsconfig.base.json');
const swc = JSON.parse(require('node:fs').readFileSync(`${__dirname}/.swcrc`, 'utf8'));
delete swc.$schema;

const moduleNameMapper = Object.fromEntries(
  Object.entries(compilerOptions.paths).map(([name, [path]]) => [`^${name}$`, `<rootDir>/${path}`]),
);
const transform = { '^.+\\.ts$': ['@swc/jest', swc] };
// The bench is plain Node ESM (.mjs, run by node itself): its pure parts' specs are compiled to
// CommonJS for Jest like the TypeScript ones (no --experimental-vm-modules needed).
const benchTransform = { '^.+\\.mjs$': ['@swc/jest', { ...swc, jsc: { ...swc.jsc, parser: { syntax: 'ecmascript' } } }] };

module.exports = {
  projects: [
    { displayName: 'unit', testMatch: ['<rootDir>/{apps,libs}/**/*.spec.ts'], moduleNameMapper, transform, testEnvironment: 'node' },
    { displayName: 'bench', testMatch: ['<rootDir>/bench/**/*.spec.mjs'], transform: benchTransform, testEnvironment: 'node' },
    {
      displayName: 'e2e',
      testMatch: ['<rootDir>/{apps,libs}/*/src/**/*.e2e-spec.ts'],
      moduleNameMapper,
      transform,
      testEnvironment: 'node',
    },
  ],
  // A global option: inside a project entry Jest ignores it. E2E specs start real processes.
  testTimeout: 60_000,
};
