// Shared steps of `npm start`, `npm test` and `npm run bench`. Node built-ins only: this runs
// before the npm packages are installed on a fresh clone.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const root = resolve(import.meta.dirname, '../..');
export const log = (message) => process.stderr.write(`[flowgate] ${message}\n`);

/** Installs npm packages when node_modules is missing or older than the lockfile. */
export function ensureNpmPackages() {
  const marker = join(root, 'node_modules/.package-lock.json');
  const lock = join(root, 'package-lock.json');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  // `npm install`, not `npm ci`: the lockfile can only list the optional native packages (swc,
  // nx) of platforms the registry serves, and `npm ci` refuses a lockfile missing any of them.
  log('installing npm packages…');
  run('npm', ['install', '--no-audit', '--no-fund']);
}

/** Runs a command in the repo root, inheriting stdio; exits the process if it fails. */
export function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options });
  if (result.status !== 0) {
    log(`${command} ${args.join(' ')} failed (${result.status ?? result.signal})`);
    process.exit(result.status ?? 1);
  }
}

/** Builds the app bundles under dist/apps and the example job modules under dist/examples (cached by Nx). */
export function buildApps(apps = ['gateway', 'processor', 'sweeper', 'console', 'examples']) {
  run('npx', ['nx', 'run-many', '-t', 'build', '-p', ...apps, '--outputStyle=static', '--skipNxCache=false'], {
    env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' },
  });
}

/**
 * What the local commands run unless the environment says otherwise: the demo jobs in the
 * processor, and `POST /event` served by their echo route.
 */
export const DEMO_ENV = { FLOWGATE_JOBS: 'dist/examples/demo.js', FLOWGATE_EVENT_ROUTE: 'echo' };

/**
 * Creates the topics flowgate and the configured jobs need, with the processor bundle's own
 * `ensure-topics` (the one place topics are created; Helm's topics Job runs the same). Creating
 * them before the apps start avoids a race between them.
 */
export function ensureTopics(env) {
  run(process.execPath, [join(root, 'dist/apps/processor/main.js'), 'ensure-topics'], {
    env: { ...process.env, ...DEMO_ENV, FLOWGATE_LOG_LEVEL: 'warn', ...env },
  });
}

/**
 * Starts an app bundle with its output prefixed by its name. Returns the child; its `exit`
 * is reported, and the others keep running.
 */
export function startApp(name, env, { onExit } = {}) {
  const child = spawn(process.execPath, [join(root, 'dist/apps', name, 'main.js')], {
    cwd: root,
    env: { ...DEMO_ENV, ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const prefix = `[${name}] `;
  for (const stream of [child.stdout, child.stderr]) {
    let partial = '';
    stream.on('data', (chunk) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop();
      for (const line of lines) process.stdout.write(prefix + line + '\n');
    });
  }
  child.once('exit', (code, signal) => onExit?.(code, signal));
  return child;
}

/**
 * SIGTERM to each child still running (the apps drain), SIGKILL after `graceMs`; resolves when
 * all have exited.
 */
export function stopChildren(children, graceMs) {
  return Promise.all(
    children.filter((c) => c.exitCode === null && c.signalCode === null).map(
      (child) =>
        new Promise((resolve) => {
          const force = setTimeout(() => child.kill('SIGKILL'), graceMs);
          child.once('exit', () => {
            clearTimeout(force);
            resolve();
          });
          child.kill('SIGTERM');
        }),
    ),
  );
}

/** Polls a URL until it answers 200. */
export async function waitForOk(url, { timeoutMs = 60_000, alive = () => true } = {}) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && alive()) {
    try {
      if ((await fetch(url)).status === 200) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}
