// liveHeapMiB against real Node processes: it counts what is reachable, not garbage.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { liveHeapMiB } from './live-heap.mjs';

const freePort = () => new Promise((resolve) => {
  const server = createServer().listen(0, '127.0.0.1', () => {
    const { port } = server.address();
    server.close(() => resolve(port));
  });
});

/** A Node process with the inspector on a port of its own that runs `code`, until `use` is done with it. */
async function withInspected(code, use) {
  const port = await freePort();
  const child = spawn(process.execPath, [`--inspect=127.0.0.1:${port}`, '-e', `${code}; console.log('ready'); setInterval(() => {}, 1 << 30)`], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    await new Promise((resolve, reject) => {
      child.stdout.on('data', (chunk) => String(chunk).includes('ready') && resolve());
      child.once('exit', (code) => reject(new Error(`exited with ${code}`)));
    });
    return await use(port);
  } finally {
    child.kill('SIGKILL');
  }
}

describe('liveHeapMiB', () => {
  it('counts 40 MiB held, and not 40 MiB dropped (a full GC ran first)', async () => {
    const make = 'Array.from({ length: 40 }, (_, i) => Array.from({ length: 1024 * 128 }, (_, j) => i + j))'; // ~40 MiB of small-integer arrays
    const held = await withInspected(`globalThis.kept = ${make}`, liveHeapMiB);
    const dropped = await withInspected(`${make}.length`, liveHeapMiB);
    assert.ok(held > dropped + 30, `held ${held.toFixed(1)} MiB, dropped ${dropped.toFixed(1)} MiB`);
  });

  it('says which port has no inspector', async () => {
    const port = await freePort();
    await assert.rejects(liveHeapMiB(port, { timeoutMs: 2_000 }), /fetch failed|no inspector/);
  });
});
