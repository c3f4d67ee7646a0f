// vegeta (github.com/tsenart/vegeta), a load generator nobody on the team wrote, to cross-check
// our own (bench/load.mjs) at the headline rates. Built once from the Go module proxy with
// `go install` into ~/.cache/flowgate/go (GOPATH, GOCACHE and GOBIN there), then reused.
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseStat } from './cpu-account.mjs';
import { ticksPerSecond } from './procstat.mjs';
import { ensureDebianTool } from '../../tools/stack/debian-tools.mjs';

export const VEGETA_MODULE = 'github.com/tsenart/vegeta/v12';
export const VEGETA_VERSION = 'v12.13.0';

const goHome = join(homedir(), '.cache/flowgate/go');
const vegetaBin = join(goHome, 'bin', `vegeta-${VEGETA_VERSION}`);

const executable = (file) => {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

// The Go toolchain is itself a module on the proxy (what `GOTOOLCHAIN=auto` downloads): a
// machine without Go, or with Debian's 1.19, gets this one into ~/.cache/flowgate/go.
export const GO_TOOLCHAIN = 'go1.22.12';
const GO_ARCH = { x64: 'amd64', arm64: 'arm64' };

/**
 * A Go that can build vegeta: one 1.21 or newer on PATH or in /usr/local/go (it fetches the 1.22
 * toolchain vegeta asks for by itself, GOTOOLCHAIN=auto), else GO_TOOLCHAIN from the Go module
 * proxy (its zip, unpacked with unzip; the zip keeps no file modes, hence the chmod).
 */
async function ensureGo(log) {
  const candidates = [...(process.env.PATH ?? '').split(':').filter(Boolean), '/usr/local/go/bin'].map((dir) => join(dir, 'go')).filter(executable);
  const recent = candidates.find((go) => {
    const version = /go1\.(\d+)/.exec(spawnSync(go, ['env', 'GOVERSION'], { encoding: 'utf8' }).stdout ?? '')?.[1];
    return Number(version) >= 21;
  });
  if (recent) return recent;
  const arch = GO_ARCH[process.arch];
  if (process.platform !== 'linux' || !arch) throw new Error(`no Go 1.21+ found, and no Go toolchain to fetch for ${process.platform}-${process.arch}`);
  const module = `golang.org/toolchain@v0.0.1-${GO_TOOLCHAIN}.linux-${arch}`;
  const root = join(goHome, 'toolchain', module);
  const go = join(root, 'bin', 'go');
  if (executable(go)) return go;
  const url = `https://proxy.golang.org/golang.org/toolchain/@v/v0.0.1-${GO_TOOLCHAIN}.linux-${arch}.zip`;
  log(`no Go 1.21+ here: fetching ${GO_TOOLCHAIN} from the Go module proxy (${url})`);
  const response = await fetch(url, { signal: AbortSignal.timeout(600_000) });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  mkdirSync(join(goHome, 'toolchain'), { recursive: true });
  const zip = join(goHome, 'toolchain', `${GO_TOOLCHAIN}.zip`);
  writeFileSync(zip, Buffer.from(await response.arrayBuffer()));
  const { unzip: unzipBin } = await ensureDebianTool('unzip');
  const unzip = spawnSync(unzipBin, ['-q', '-o', zip, '-d', join(goHome, 'toolchain')], { encoding: 'utf8' });
  if (unzip.status !== 0) throw new Error(`unzip ${zip} failed: ${unzip.stderr || unzip.error?.message}`);
  rmSync(zip);
  spawnSync('chmod', ['-R', 'a+x', join(root, 'bin'), join(root, 'pkg', 'tool')]);
  if (!executable(go)) throw new Error(`${go} missing after unpacking ${url}`);
  return go;
}

/**
 * The path of the pinned vegeta, built with `go install` when missing (a minute or two, once;
 * with a Go from the proxy first when the machine has none recent enough). Throws when it cannot.
 */
export async function ensureVegeta({ log = () => {} } = {}) {
  if (executable(vegetaBin)) return vegetaBin;
  const go = await ensureGo(log);
  mkdirSync(goHome, { recursive: true });
  const gobin = join(goHome, 'bin');
  log(`building vegeta ${VEGETA_VERSION} with ${go} (go install, once; cached in ${goHome})`);
  const built = spawnSync(go, ['install', `${VEGETA_MODULE}@${VEGETA_VERSION}`], {
    env: { ...process.env, GOPATH: goHome, GOCACHE: join(goHome, 'cache'), GOBIN: gobin, GOFLAGS: '-modcacherw', GOTOOLCHAIN: 'auto', CGO_ENABLED: '0' },
    encoding: 'utf8',
    timeout: 900_000,
  });
  if (built.status !== 0) throw new Error(`go install ${VEGETA_MODULE}@${VEGETA_VERSION} failed: ${(built.stderr || built.error?.message || '').trim().slice(-500)}`);
  // Renamed with its version, so a change of the pin builds the new one instead of reusing the old.
  renameSync(join(gobin, 'vegeta'), vegetaBin);
  if (!executable(vegetaBin)) throw new Error(`go install succeeded but ${vegetaBin} is missing`);
  return vegetaBin;
}

/** vegeta's target file (http format): one POST of the body file with a JSON content type. */
export function vegetaTargets({ url, path, bodyFile }) {
  return `POST ${url}${path}\nContent-Type: application/json\n@${bodyFile}\n`;
}

/**
 * A `vegeta report -type=json` as the fields our generator reports (latencies in ms; vegeta's
 * are ns and measured from when it sent each request, not from when it was due).
 */
export function fromVegetaReport(report) {
  const statuses = Object.fromEntries(Object.entries(report.status_codes ?? {}).map(([code, n]) => [code === '0' ? 'error' : code, n]));
  const ms = (ns) => (Number.isFinite(ns) ? ns / 1e6 : undefined);
  const ok = statuses['200'] ?? 0;
  return {
    sent: report.requests,
    ok,
    statuses,
    throughput: report.throughput,
    p50: ms(report.latencies?.['50th']),
    p99: ms(report.latencies?.['99th']),
    max: ms(report.latencies?.max),
    successShare: report.success,
    errorSamples: (report.errors ?? []).slice(0, 3),
  };
}

/**
 * Runs `vegeta attack` at `rate`/s for `seconds` and reports it like our generator, plus `cpuS`:
 * the CPU vegeta itself used (user + system, all its threads). vegeta runs under a shell that
 * prints its own /proc stat after waiting for it: a waited-for child's CPU is in the parent's
 * cutime/cstime, exact and read after vegeta has exited.
 */
export async function runVegeta({ bin, dir, url, path, body, rate, seconds, timeoutMs }) {
  mkdirSync(dir, { recursive: true });
  const bodyFile = join(dir, 'body.json');
  const targets = join(dir, 'targets.txt');
  const output = join(dir, 'results.bin');
  writeFileSync(bodyFile, body);
  writeFileSync(targets, vegetaTargets({ url, path, bodyFile }));
  const script = '"$0" attack -targets="$1" -rate="$2/1s" -duration="$3s" -timeout="$4ms" -output="$5"; code=$?; cat /proc/$$/stat; exit $code';
  const shell = spawn('sh', ['-c', script, bin, targets, String(rate), String(seconds), String(timeoutMs), output], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  shell.stdout.on('data', (chunk) => (stdout += chunk));
  shell.stderr.on('data', (chunk) => (stderr += chunk));
  const code = await new Promise((resolve, reject) => shell.once('error', reject).once('exit', resolve));
  if (code !== 0) throw new Error(`vegeta attack exited with ${code}: ${stderr.trim().slice(-500)}`);
  const { childrenCpuS } = parseStat(stdout.trim().split('\n').pop(), ticksPerSecond());
  const report = spawnSync(bin, ['report', '-type=json', output], { encoding: 'utf8', timeout: 60_000 });
  if (report.status !== 0) throw new Error(`vegeta report failed: ${report.stderr}`);
  return { ...fromVegetaReport(JSON.parse(report.stdout)), rate, seconds, cpuS: childrenCpuS };
}
