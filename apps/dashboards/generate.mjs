// Writes the Grafana dashboards (apps/dashboards/src) as JSON where the deployments ship them.
//   npm run dashboards              # regenerate the committed files
//   npm run dashboards -- --check   # exit 1, naming them, when the committed files are stale
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { build } from 'esbuild';

const root = resolve(import.meta.dirname, '../..');
/** Folders holding exactly the generated dashboards: the Helm chart's ConfigMap reads this one. */
export const OUTPUT_DIRS = ['helm/flowgate/files/dashboards'];

/** Compiles the dashboards' TypeScript (esbuild, like the app bundles) and returns the files. */
async function generatedFiles() {
  const dir = mkdtempSync(join(tmpdir(), 'flowgate-dashboards-'));
  try {
    const outfile = join(dir, 'dashboards.cjs');
    await build({
      entryPoints: [join(root, 'apps/dashboards/src/main.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      outfile,
      logLevel: 'warning',
    });
    return createRequire(import.meta.url)(outfile).dashboardFiles();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const jsonIn = (dir) => readdirSync(join(root, dir)).filter((f) => f.endsWith('.json'));

const files = await generatedFiles();
const check = process.argv.includes('--check');
const stale = [];
for (const dir of OUTPUT_DIRS) {
  for (const [name, text] of Object.entries(files)) {
    const path = join(root, dir, name);
    let current;
    try {
      current = readFileSync(path, 'utf8');
    } catch {
      current = undefined;
    }
    if (current === text) continue;
    stale.push(relative(root, path));
    if (!check) writeFileSync(path, text);
  }
  for (const name of jsonIn(dir).filter((f) => !(f in files))) {
    stale.push(`${join(dir, name)} (not generated)`);
    if (!check) rmSync(join(root, dir, name));
  }
}
if (check && stale.length > 0) {
  process.stderr.write(`dashboards out of date (run npm run dashboards):\n${stale.map((s) => `  ${s}\n`).join('')}`);
  process.exit(1);
}
process.stderr.write(check ? 'dashboards up to date\n' : `dashboards: ${stale.length === 0 ? 'unchanged' : `wrote ${stale.join(', ')}`}\n`);
