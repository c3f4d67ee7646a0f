// Shared plumbing for the local stack: child process lifecycle, readiness polling, logging.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const defaultCacheDir = () => process.env.FLOWGATE_CACHE_DIR ?? join(homedir(), '.cache', 'flowgate');

// Progress goes to stderr so stdout stays clean for machine-readable output (e.g. the CLI's env line).
export const log = (msg) => process.stderr.write(`[stack] ${msg}\n`);

export const seconds = (startMs) => `${((Date.now() - startMs) / 1000).toFixed(1)}s`;

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function tailFile(file, lines = 40) {
  if (!file || !existsSync(file)) return '(no log file)';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

// Binding (rather than connecting) also catches servers listening on 0.0.0.0 / [::], and it guarantees
// the readiness probe can only ever reach the process we spawn, never some other server on that port.
/** Binds 127.0.0.1:`port` exclusively and lets it go: undefined when it is free, else the bind error's code. */
function bindError(port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (err) => resolve(err.code ?? 'error'));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}

export async function assertPortFree(port, what) {
  const code = await bindError(port);
  if (code === undefined) return;
  const reason = code === 'EADDRINUSE' ? 'is already in use' : `cannot be bound (${code})`;
  throw new Error(`${what}: port ${port} on 127.0.0.1 ${reason}; stop whatever holds it or pick another port`);
}

async function isPortFree(port) {
  return (await bindError(port)) === undefined;
}

/**
 * The first of `count` consecutive free ports between 20000 and 29000, below Linux's ephemeral
 * range (32768+): a server started (or killed and started again) long after its port was picked
 * finds it still free, where an ephemeral port may meanwhile be the local end of a connection.
 */
export async function stablePortRun(count) {
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * (9_000 - count));
    const ports = Array.from({ length: count }, (_, i) => base + i);
    if ((await Promise.all(ports.map(isPortFree))).every(Boolean)) return base;
  }
  throw new Error(`no ${count} consecutive free ports between 20000 and 29000`);
}

const live = new Set();
let hooksInstalled = false;

function killGroup(child, signal) {
  try {
    // Children run in their own process group (detached), so signal the whole group.
    process.kill(-child.pid, signal);
  } catch (err) {
    if (err.code !== 'ESRCH') throw err;
  }
}

function killAllNow() {
  for (const { child } of live) killGroup(child, 'SIGKILL');
}

// Children are detached so a terminal Ctrl-C does not reach them before the app has shut down; the price is
// that nothing kills them automatically, so these hooks kill them however this process ends (short of SIGKILL).
function installExitHooks() {
  if (hooksInstalled) return;
  hooksInstalled = true;
  // 'exit' also fires when an uncaught exception or unhandled rejection crashes the process.
  process.on('exit', killAllNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    const onSignal = () => {
      // Someone else handles this signal and owns the orderly shutdown (calling stop()); the 'exit'
      // hook stays as the backstop. Otherwise keep Node's default "die on signal" behaviour.
      if (process.listenerCount(signal) > 1) return;
      killAllNow();
      process.removeListener(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

/**
 * Spawns a long-running server in its own process group with stdout/stderr appended to logFile.
 * Returns { child, stop(graceMs), kill(), death() }; stop() sends SIGTERM, then SIGKILL after graceMs;
 * kill() sends SIGKILL at once (a crash, for failure tests) and resolves once the child is gone.
 */
export function spawnServer(name, command, args, { logFile, cwd, env }) {
  installExitHooks();
  const out = openSync(logFile, 'a');
  const child = spawn(command, args, { cwd, env, detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  // Never let a child keep the parent alive: if the parent ends, the exit hook kills the child.
  child.unref();
  const entry = { child, stopping: false, death: null };
  live.add(entry);
  const exited = new Promise((resolve) => {
    child.once('error', (err) => {
      entry.death = `failed to spawn: ${err.message}`;
      live.delete(entry);
      resolve();
    });
    child.once('exit', (code, signal) => {
      entry.death = `exited with ${signal ?? `code ${code}`}`;
      live.delete(entry);
      if (!entry.stopping) log(`${name} ${entry.death} unexpectedly; log: ${logFile}`);
      resolve();
    });
  });

  // repeatMs sends SIGTERM again at that interval: redis-server refuses one that arrives while it
  // writes its first AOF file ("can't exit") and does not retry by itself.
  async function stop(graceMs = 20_000, { repeatMs } = {}) {
    entry.stopping = true;
    if (entry.death || child.pid === undefined) return;
    child.ref(); // keep the event loop alive until the child is really gone
    killGroup(child, 'SIGTERM');
    const repeat = repeatMs ? setInterval(() => killGroup(child, 'SIGTERM'), repeatMs) : undefined;
    let timer;
    const timedOut = new Promise((resolve) => {
      timer = setTimeout(() => resolve(true), graceMs);
    });
    if (await Promise.race([exited.then(() => false), timedOut])) {
      log(`${name} did not stop within ${graceMs / 1000}s; killing`);
      killGroup(child, 'SIGKILL');
      await exited;
    }
    clearTimeout(timer);
    clearInterval(repeat);
  }

  async function kill() {
    entry.stopping = true;
    if (entry.death || child.pid === undefined) return;
    child.ref();
    killGroup(child, 'SIGKILL');
    await exited;
  }

  // Returns why the child is gone, or null while it runs.
  const death = () => entry.death;
  return { child, stop, kill, death };
}

/**
 * Makes `handle` a failure-test handle of the server in `member.server` (a spawnServer result,
 * replaced on restart): `pid` of the running process, kill() (a SIGKILL), and restart(), which
 * kills it if it still runs, checks `ports` ([port, what] pairs) are free again and awaits
 * `start()` (which sets member.server and resolves once the server is ready).
 */
export function crashable(handle, member, { ports, start }) {
  return Object.defineProperties(handle, {
    pid: { enumerable: true, get: () => member.server.child.pid },
    kill: { enumerable: true, value: () => member.server.kill() },
    restart: {
      enumerable: true,
      async value() {
        await member.server.kill();
        for (const [port, what] of ports) await assertPortFree(port, what);
        await start();
      },
    },
  });
}

/**
 * Polls probe() with short backoff until it resolves. Fails fast once death() reports the server gone,
 * and on timeout; both errors carry the tail of logFile.
 */
export async function waitUntil(what, probe, { timeoutMs, death = () => null, logFile }) {
  const start = Date.now();
  let delay = 100;
  let lastError;
  for (;;) {
    if (death()) {
      throw new Error(`${what} ${death()} before becoming ready. Last log lines of ${logFile}:\n${tailFile(logFile)}`);
    }
    try {
      return await probe();
    } catch (err) {
      lastError = err;
    }
    if (Date.now() - start > timeoutMs) {
      throw new Error(
        `${what} not ready after ${timeoutMs / 1000}s (last error: ${lastError?.message}).` +
          (logFile ? ` Last log lines of ${logFile}:\n${tailFile(logFile)}` : ''),
      );
    }
    await sleep(delay);
    delay = Math.min(delay * 1.5, 1000);
  }
}
