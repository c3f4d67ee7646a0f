import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONSOLE_ENV, GATEWAY_ENV, PROCESSOR_ENV, SWEEPER_ENV } from './index';

// The README is the user's reference for configuration: a variable the apps read but the README
// does not list is a variable nobody knows about.
describe('README configuration table', () => {
  const readme = readFileSync(join(__dirname, '../../../README.md'), 'utf8');
  const names = new Set([...Object.keys(GATEWAY_ENV), ...Object.keys(PROCESSOR_ENV), ...Object.keys(SWEEPER_ENV), ...Object.keys(CONSOLE_ENV)]);

  it.each([...names])('documents %s', (name) => {
    expect(readme).toContain(`| \`${name}\` |`);
  });
});
