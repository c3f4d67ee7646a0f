// Bundles one app into dist/apps/<name>/main.js: the file the tests, `npm start` and the
// container images all run. esbuild does the bundling; swc transpiles the TypeScript because
// NestJS dependency injection needs `emitDecoratorMetadata`, which esbuild does not implement.
import { build } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import swc from '@swc/core';
import { alias, root } from './workspace.mjs';

const app = process.argv[2];
if (!app) {
  console.error('usage: node tools/build/bundle.mjs <app>');
  process.exit(2);
}

const swcOptions = JSON.parse(await readFile(join(root, '.swcrc'), 'utf8'));
delete swcOptions.$schema;


const swcDecorators = {
  name: 'swc-decorators',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async ({ path }) => {
      const source = await readFile(path, 'utf8');
      const { code } = await swc.transform(source, { ...swcOptions, filename: path, sourceMaps: 'inline' });
      return { contents: code, loader: 'js' };
    });
  },
};

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'linked',
  // npm packages stay in node_modules: NestJS loads optional peers lazily by name.
  packages: 'external',
  alias,
  logLevel: 'warning',
};

const started = Date.now();
const { metafile } = await build({
  ...common,
  entryPoints: [join(root, 'apps', app, 'src/main.ts')],
  outfile: join(root, 'dist/apps', app, 'main.js'),
  metafile: true,
  plugins: [swcDecorators],
  // Nest logs and resolves providers by class name; keep the names esbuild would mangle.
  keepNames: true,
});
console.log(`bundled ${app} in ${Date.now() - started} ms -> dist/apps/${app}/main.js`);

// An app that runs scripts (ScriptEngine, libs/scripts) starts their sandboxes in worker threads
// from script-worker.js beside its main.js: a bundle of its own (no NestJS, no decorators).
if (Object.keys(metafile.inputs).some((input) => input.endsWith('libs/scripts/src/script-engine.ts'))) {
  await build({ ...common, entryPoints: [join(root, 'libs/scripts/src/sandbox-worker.ts')], outfile: join(root, 'dist/apps', app, 'script-worker.js') });
  console.log(`bundled ${app}'s script worker -> dist/apps/${app}/script-worker.js`);
}
