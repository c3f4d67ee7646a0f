import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../../../..');

/** A real OpenAPI 3.1 validator (its CLI), on the document as served. */
export function validateOpenApi(document: unknown): { valid: boolean; errors?: unknown } {
  const file = join(mkdtempSync(join(tmpdir(), 'flowgate-openapi-')), 'openapi.json');
  writeFileSync(file, JSON.stringify(document));
  const cli = resolve(ROOT, 'node_modules/@seriousme/openapi-schema-validator/bin/validate-api-cli.js');
  const run = spawnSync(process.execPath, [cli, file], { encoding: 'utf8' });
  return JSON.parse(run.stdout) as { valid: boolean; errors?: unknown };
}
