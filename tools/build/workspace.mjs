// What both bundlers need from the workspace: its root and the `@flowgate/*` aliases of
// tsconfig.base.json as esbuild aliases (absolute paths).
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

export const root = resolve(import.meta.dirname, '../..');

const tsconfig = JSON.parse(await readFile(join(root, 'tsconfig.base.json'), 'utf8'));
export const alias = Object.fromEntries(
  Object.entries(tsconfig.compilerOptions.paths).map(([name, [path]]) => [name, join(root, path)]),
);
