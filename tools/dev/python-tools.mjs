// Python tools the tests need, installed from PyPI into a virtual environment cached under
// ~/.cache/flowgate (never in the repo): Schemathesis, which fuzzes the HTTP APIs from their
// OpenAPI documents (apps/e2e/src/http-fuzz.e2e-spec.ts).
//   node tools/dev/python-tools.mjs      # prints "schemathesis=/path/to/st"
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Pinned so a new release cannot change what the fuzzing spec checks between two runs. */
export const SCHEMATHESIS_VERSION = '4.32.5';

const log = (message) => process.stderr.write(`[flowgate] ${message}\n`);

function python() {
  for (const candidate of ['python3', 'python']) {
    const probe = spawnSync(candidate, ['-c', 'import sys; print(sys.version_info >= (3, 9))'], { encoding: 'utf8' });
    if (probe.status === 0 && probe.stdout.trim() === 'True') return candidate;
  }
  return null;
}

function run(command, args) {
  const result = spawnSync(command, args, { stdio: ['ignore', process.stderr, 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status ?? result.signal ?? result.error?.message})`);
}

/**
 * Debian's python3 has no `venv` module (nor pip) until python3-venv is installed: installs it
 * with apt-get when this runs as root, like the stack's other Debian tools.
 */
function ensurePythonWithVenv() {
  let interpreter = python();
  const hasVenv = (bin) => bin !== null && spawnSync(bin, ['-c', 'import venv, ensurepip'], { stdio: 'ignore' }).status === 0;
  if (hasVenv(interpreter)) return interpreter;
  if (process.getuid?.() !== 0) throw new Error('python3 with the venv module is needed (e.g. `sudo apt-get install python3-venv`)');
  log('python3 or its venv module not found; installing Debian\'s python3-venv with apt-get (first run only)');
  try {
    run('apt-get', ['install', '-y', '--no-install-recommends', 'python3-venv']);
  } catch (error) {
    log(`apt-get install failed (${error.message}); refreshing the package lists and trying again`);
    run('apt-get', ['update']);
    run('apt-get', ['install', '-y', '--no-install-recommends', 'python3-venv']);
  }
  interpreter = python();
  if (!hasVenv(interpreter)) throw new Error('python3-venv installed but `python3 -m venv` still does not work');
  return interpreter;
}

/**
 * Returns the path of the `st` (Schemathesis) command, creating the cached virtual environment
 * with the pinned version first when it is missing or holds another version. Quick once installed.
 */
export function ensureSchemathesis() {
  const venv = join(homedir(), '.cache/flowgate', `schemathesis-${SCHEMATHESIS_VERSION}`);
  const st = join(venv, 'bin/st');
  const marker = join(venv, '.installed');
  if (existsSync(st) && existsSync(marker) && readFileSync(marker, 'utf8') === SCHEMATHESIS_VERSION) return st;
  const start = Date.now();
  log(`installing schemathesis ${SCHEMATHESIS_VERSION} from PyPI into ${venv} (first run only)`);
  rmSync(venv, { recursive: true, force: true });
  run(ensurePythonWithVenv(), ['-m', 'venv', venv]);
  run(join(venv, 'bin/python'), ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', `schemathesis==${SCHEMATHESIS_VERSION}`]);
  if (!existsSync(st)) throw new Error(`schemathesis installed but ${st} is missing`);
  writeFileSync(marker, SCHEMATHESIS_VERSION);
  log(`schemathesis installed (${Math.round((Date.now() - start) / 1000)} s)`);
  return st;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    process.stdout.write(`schemathesis=${ensureSchemathesis()}\n`);
  } catch (error) {
    log(error.stack ?? String(error));
    process.exit(1);
  }
}
