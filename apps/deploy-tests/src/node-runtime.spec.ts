import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './support/tools';

const runtime = join(repoRoot, 'tools/dev/node-runtime.mjs');
const pinned = /PINNED_NODE = '([\d.]+)'/.exec(readFileSync(runtime, 'utf8'))?.[1];

/**
 * `npm start`, `npm test` and `npm run bench` run on the Node the images use: a machine with an
 * older one fetches it from the npm registry (node-<platform>-<arch>) and runs the command again.
 */
describe('tools/dev/node-runtime: the images\' Node for every command', () => {
  it('pins the Node of the Dockerfile', () => {
    const images = [...readFileSync(join(repoRoot, 'Dockerfile'), 'utf8').matchAll(/^FROM node:([\d.]+)-/gm)].map((m) => m[1]);
    expect(images.length).toBeGreaterThan(0);
    expect(new Set([...images, pinned])).toEqual(new Set([pinned]));
  });

  it('runs a command again on the pinned Node, with its node first on PATH, and exits with its code', () => {
    const script = join(mkdtempSync(join(tmpdir(), 'flowgate-node-')), 'probe.mjs');
    writeFileSync(script, [
      `import { runOnPinnedNode } from ${JSON.stringify(runtime)};`,
      `if (process.env.PROBE_CHILD !== '1') { process.env.PROBE_CHILD = '1'; await runOnPinnedNode(); }`,
      `const { execSync } = await import('node:child_process');`,
      `console.log(JSON.stringify({ version: process.version, onPath: execSync('node --version').toString().trim(), args: process.argv.slice(2) }));`,
      'process.exit(3);',
    ].join('\n'));
    const run = spawnSync(process.execPath, [script, 'a', 'b'], { encoding: 'utf8', timeout: 120_000 });
    expect({ status: run.status, out: JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') }).toEqual({
      status: 3,
      out: { version: `v${pinned}`, onPath: `v${pinned}`, args: ['a', 'b'] },
    });
  });
});
