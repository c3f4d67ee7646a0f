import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';
import * as espree from 'espree';

// The dependency matrix of STYLE.md: apps use libs; libs use contracts and the utility
// libs (config, metrics); contracts use nothing from the repo. The stream runtime sits
// between: it runs on the plumbing libs (kafka) and apps run jobs on it. The examples are
// job packages as a user writes them: the runtime's public API and the wire protocol only,
// and nothing imports them (the processor loads them from FLOWGATE_JOBS at run time).
const depConstraints = [
  { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:runtime', 'type:lib', 'type:util', 'type:contracts'] },
  { sourceTag: 'type:runtime', onlyDependOnLibsWithTags: ['type:lib', 'type:util', 'type:contracts'] },
  { sourceTag: 'type:examples', onlyDependOnLibsWithTags: ['type:runtime', 'type:contracts'] },
  { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:contracts', 'type:util'] },
  { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:util', 'type:contracts'] },
  { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:contracts'] },
  { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: [] },
  { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
  { sourceTag: 'scope:gateway', onlyDependOnLibsWithTags: ['scope:gateway', 'scope:shared'] },
  { sourceTag: 'scope:processor', onlyDependOnLibsWithTags: ['scope:processor', 'scope:shared'] },
  { sourceTag: 'scope:sweeper', onlyDependOnLibsWithTags: ['scope:sweeper', 'scope:shared'] },
  { sourceTag: 'scope:console', onlyDependOnLibsWithTags: ['scope:console', 'scope:shared'] },
  { sourceTag: 'scope:examples', onlyDependOnLibsWithTags: ['scope:shared'] },
  // libs/testing (the test projects' app processes) is scope:e2e: no app or lib may use it.
  { sourceTag: 'scope:e2e', onlyDependOnLibsWithTags: ['scope:shared', 'scope:e2e'] },
];
const boundaries = (constraints) => ['error', { enforceBuildableLibDependency: false, banTransitiveDependencies: true, depConstraints: constraints }];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/.nx/**', 'bench/results/**', 'jest.config.js'] },
  ...tseslint.configs.recommended,
  {
    // Plain JavaScript is parsed as JavaScript: the TypeScript parser leaves errors such as a
    // `const` declared twice to the type checker, which never sees these files.
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: { parser: espree, ecmaVersion: 'latest', sourceType: 'module' },
  },
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-empty': ['error', { allowEmptyCatch: false }],
      '@nx/enforce-module-boundaries': boundaries(depConstraints),
    },
  },
  {
    // Apps never talk to the outside systems' client libraries directly (DESIGN.md).
    files: ['apps/**/*.ts'],
    // Tests look at Kafka itself: apps/e2e, and the deploy-tests' one window onto the topics.
    ignores: ['apps/e2e/**', 'apps/deploy-tests/src/support/kafka-topics.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: ['kafkajs', 'ioredis', 'prom-client'] }],
    },
  },
  {
    // The stream runtime reaches Kafka only through libs/kafka's KafkaConnection, which creates
    // its consumers and transactional producers; its kafkajs types come from @flowgate/kafka too.
    files: ['libs/stream/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'kafkajs', message: 'Use @flowgate/kafka (KafkaConnection and its re-exported types).' }] }],
    },
  },
  {
    // The examples' specs check their scripts with the sandbox, as the admin API does on upload;
    // the job modules themselves still use only the runtime's public API.
    files: ['libs/examples/**/*.spec.ts'],
    rules: {
      '@nx/enforce-module-boundaries': boundaries(
        depConstraints.map((c) => (c.sourceTag === 'type:examples' ? { ...c, onlyDependOnLibsWithTags: [...c.onlyDependOnLibsWithTags, 'type:lib'] } : c)),
      ),
    },
  },
);
