import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

const DIR = resolve(__dirname, '../../../tools/faults');

describe('tools/faults', () => {
  it('passes its unit tests (node --test: the ledger checks, the fault proxy on loopback, the trend verdict of the soak)', () => {
    // The test files by name: Node 22+ reads a directory argument of --test as a file, not a folder to search.
    const files = readdirSync(DIR).filter((name) => name.endsWith('.test.mjs')).map((name) => join(DIR, name));
    const { status, stdout, stderr } = spawnSync(process.execPath, ['--test', '--test-reporter=tap', ...files], { encoding: 'utf8', timeout: 60_000 });
    expect({ status, fail: /^# fail (\d+)$/m.exec(stdout)?.[1], output: status === 0 ? '' : stdout + stderr }).toEqual({ status: 0, fail: '0', output: '' });
    expect(Number(/^# pass (\d+)$/m.exec(stdout)?.[1])).toBeGreaterThanOrEqual(21);
  });

  it('refuses an unknown fault with the usage (exit 2)', () => {
    const { status, stderr } = spawnSync(process.execPath, [join(DIR, 'cli.mjs'), '--faults', 'meteor-strike'], { encoding: 'utf8', timeout: 30_000 });
    expect(status).toBe(2);
    expect(stderr).toContain('unknown fault meteor-strike; known: gateway-kill');
    expect(stderr).toContain('usage: node tools/faults/cli.mjs');
  });
});
