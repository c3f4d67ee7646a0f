// Builds the console's page assets into dist/apps/console/assets: the browser code (with its
// layout library, @dagrejs/dagre) as one minified script, and the stylesheet. Everything the
// page loads comes from here at run time: no CDN.
import { build } from 'esbuild';
import { copyFile, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');
const out = join(root, 'dist/apps/console/assets');
const started = Date.now();
await mkdir(out, { recursive: true });
const result = await build({
  entryPoints: [join(import.meta.dirname, 'src/web/main.ts')],
  outfile: join(out, 'console.js'),
  bundle: true,
  platform: 'browser',
  format: 'iife',
  target: 'es2022',
  minify: true,
  sourcemap: 'linked',
  metafile: true,
  logLevel: 'warning',
});
await copyFile(join(import.meta.dirname, 'src/web/console.css'), join(out, 'console.css'));
await copyFile(join(import.meta.dirname, 'src/web/index.html'), join(out, 'index.html'));
const bytes = Object.values(result.metafile.outputs).find((o) => o.entryPoint)?.bytes ?? 0;
console.log(`built console assets in ${Date.now() - started} ms -> dist/apps/console/assets (console.js ${Math.round(bytes / 1024)} KiB)`);
