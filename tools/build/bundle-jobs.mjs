// Bundles job packages of libs/examples into dist/examples/<name>.js, one self-contained module
// each (the flowgate stream library inside, npm packages left external), the way a user builds
// theirs: the processor loads them at run time from FLOWGATE_JOBS.
//   node tools/build/bundle-jobs.mjs demo order-pricing geofence
import { build } from 'esbuild';
import { join } from 'node:path';
import { alias, root } from './workspace.mjs';

const names = process.argv.slice(2);
if (names.length === 0) {
  console.error('usage: node tools/build/bundle-jobs.mjs <example>...');
  process.exit(2);
}

// The stream library's runtime half imports kafkajs; a job module uses only its DSL. Marking npm
// packages free of side effects lets esbuild drop imports nothing uses, so a job module needs no
// npm packages of its own at run time.
const externalWithoutSideEffects = {
  name: 'external-without-side-effects',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, ({ path }) => (path in alias ? undefined : { path, external: true, sideEffects: false }));
  },
};

const started = Date.now();
await Promise.all(
  names.map((name) =>
    build({
      entryPoints: [join(root, 'libs/examples/src', name, 'index.ts')],
      outfile: join(root, 'dist/examples', `${name}.js`),
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      sourcemap: 'linked',
      alias,
      plugins: [externalWithoutSideEffects],
      logLevel: 'warning',
    }),
  ),
);
console.log(`bundled job modules ${names.join(', ')} in ${Date.now() - started} ms -> dist/examples/`);
