import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { repoRoot } from './tools';

export type AppName = 'gateway' | 'processor' | 'sweeper';

const PORT_VARIABLE: Record<AppName, string> = {
  gateway: 'FLOWGATE_GATEWAY_PORT',
  processor: 'FLOWGATE_PROCESSOR_PORT',
  sweeper: 'FLOWGATE_SWEEPER_PORT',
};

/** The Kafka and Redis that `npm test` (tools/dev/test.mjs) started for this run. */
export function stackEnv(): { KAFKA_BROKERS: string; REDIS_URL: string } {
  const { KAFKA_BROKERS, REDIS_URL } = process.env;
  if (!KAFKA_BROKERS || !REDIS_URL) throw new Error('KAFKA_BROKERS and REDIS_URL must be set: run the end-to-end tests through `npm test`');
  return { KAFKA_BROKERS, REDIS_URL };
}

/** A topic prefix of its own per test run, so specs share one Kafka without sharing work. */
export const uniquePrefix = (name: string): string => `deploytest.${name}.${randomBytes(3).toString('hex')}.`;

/** A free loopback port, as the OS hands it out. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * Debian's prometheus/promtool or nginx, installed by tools/stack/debian-tools.mjs when missing
 * (apt-get, like redis-server): returns the binaries' paths.
 */
export function ensureDebianTool(name: 'prometheus' | 'nginx'): Record<string, string> {
  const run = spawnSync(process.execPath, [join(repoRoot, 'tools/stack/debian-tools.mjs'), name], { encoding: 'utf8', timeout: 10 * 60_000 });
  if (run.status !== 0) throw new Error(`tools/stack/debian-tools.mjs ${name} failed (exit ${run.status ?? run.signal}):\n${run.stderr}`);
  return Object.fromEntries(run.stdout.trim().split('\n').map((line) => line.split('=') as [string, string]));
}

/** One app running from its built bundle (dist/apps/<name>/main.js), as `npm start` runs it. */
export class AppProcess {
  readonly exited: Promise<number | null>;
  private output = '';

  private constructor(
    readonly name: AppName,
    readonly port: number,
    private readonly child: ChildProcess,
  ) {
    child.stdout?.on('data', (chunk: Buffer) => this.capture(chunk));
    child.stderr?.on('data', (chunk: Buffer) => this.capture(chunk));
    this.exited = new Promise((resolveExit) => child.once('exit', (code, signal) => resolveExit(signal ? null : code)));
  }

  static async start(name: AppName, env: Record<string, string>): Promise<AppProcess> {
    const port = await freePort();
    const child = spawn(process.execPath, [join(repoRoot, 'dist/apps', name, 'main.js')], {
      cwd: repoRoot,
      env: { ...process.env, FLOWGATE_LOG_LEVEL: 'warn', ...env, [PORT_VARIABLE[name]]: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new AppProcess(name, port, child);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get logs(): string {
    return this.output;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async waitReady(timeoutMs = 90_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`${this.name} exited (${this.child.exitCode ?? this.child.signalCode}) before ready:\n${this.output}`);
      try {
        if ((await fetch(`${this.url}/readyz`)).status === 200) return;
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    throw new Error(`${this.name} not ready within ${timeoutMs} ms:\n${this.output}`);
  }

  /** Sum of one metric's samples in /metrics over the label sets that match `labels`. */
  async metric(name: string, labels: Record<string, string> = {}): Promise<number> {
    const text = await (await fetch(`${this.url}/metrics`)).text();
    let sum = 0;
    for (const line of text.split('\n')) {
      const match = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
      if (!match || match[1] !== name) continue;
      if (Object.entries(labels).every(([k, v]) => (match[2] ?? '').includes(`${k}="${v}"`))) sum += Number(match[3]);
    }
    return sum;
  }

  /** Metric families (`# TYPE` lines) in /metrics: name → type. */
  async families(): Promise<Map<string, string>> {
    const text = await (await fetch(`${this.url}/metrics`)).text();
    return new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]]));
  }

  /** SIGTERM (the app drains), SIGKILL after `graceMs`; resolves with the exit code (null: killed). */
  async stop(graceMs = 30_000): Promise<number | null> {
    if (!this.running) return this.exited;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  private capture(chunk: Buffer): void {
    this.output = (this.output + chunk.toString()).slice(-20_000);
  }
}

/** A complete flowgate deployment on the shared Kafka and Redis: one gateway, processor, sweeper. */
export class ColourStack {
  private constructor(
    readonly prefix: string,
    readonly gateway: AppProcess,
    readonly processor: AppProcess,
    readonly sweeper: AppProcess,
  ) {}

  static async start(prefix: string, env: Partial<Record<AppName | 'all', Record<string, string>>> = {}): Promise<ColourStack> {
    const common = { ...stackEnv(), FLOWGATE_TOPIC_PREFIX: prefix, FLOWGATE_REQUEST_PARTITIONS: '4', FLOWGATE_REPLY_PARTITIONS: '4', ...env.all };
    // The processor first: it creates the topics, and two apps creating them at once would race.
    const processor = await AppProcess.start('processor', { ...common, ...env.processor });
    const started = [processor];
    try {
      await processor.waitReady();
      const gateway = await AppProcess.start('gateway', { ...common, ...env.gateway });
      started.push(gateway);
      const sweeper = await AppProcess.start('sweeper', { ...common, ...env.sweeper });
      started.push(sweeper);
      await Promise.all([gateway.waitReady(), sweeper.waitReady()]);
      return new ColourStack(prefix, gateway, processor, sweeper);
    } catch (error) {
      await Promise.all(started.map((app) => app.stop()));
      throw error;
    }
  }

  get apps(): AppProcess[] {
    return [this.gateway, this.processor, this.sweeper];
  }

  async stop(): Promise<void> {
    await Promise.all(this.apps.map((app) => app.stop()));
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
