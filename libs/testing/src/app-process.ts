import { ChildProcess, spawn } from 'node:child_process';
import { AddressInfo, createServer, Server } from 'node:net';
import { resolve } from 'node:path';

export type AppName = 'gateway' | 'processor' | 'sweeper' | 'console';

const ROOT = resolve(__dirname, '../../..');
const PORT_VARIABLE: Record<AppName, string> = {
  gateway: 'FLOWGATE_GATEWAY_PORT',
  processor: 'FLOWGATE_PROCESSOR_PORT',
  sweeper: 'FLOWGATE_SWEEPER_PORT',
  console: 'FLOWGATE_CONSOLE_PORT',
};

/** A free loopback port, as the OS hands it out. */
export async function freePort(): Promise<number> {
  return (await freePorts(1))[0];
}

/**
 * `count` distinct free ports: each is held open until all are found, so two calls close together
 * cannot be handed the same port by the OS (one port closed and at once given out again).
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolveListen, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolveListen());
      });
    }
    return servers.map((server) => (server.address() as AddressInfo).port);
  } finally {
    await Promise.all(servers.map((server) => new Promise<void>((resolveClose) => server.close(() => resolveClose()))));
  }
}

/**
 * One app running from its built bundle (dist/apps/<name>/main.js), the same file `npm start`
 * and the container images run; its output is kept (the last 20 kB, or all of it with
 * `keepAllOutput`) for failure messages and checks of what it logged.
 */
export class AppProcess {
  /** The exit code; null when a signal ended the process. */
  readonly exited: Promise<number | null>;
  private output = '';
  private readonly keptOutput: number;

  private constructor(
    readonly name: AppName,
    readonly port: number,
    /** The gateway's internal port (FLOWGATE_ADMIN_PORT); the app's own port for the others. */
    readonly adminPort: number,
    private readonly child: ChildProcess,
    keepAllOutput: boolean,
  ) {
    this.keptOutput = keepAllOutput ? Infinity : 20_000;
    child.stdout?.on('data', (chunk: Buffer) => this.capture(chunk));
    child.stderr?.on('data', (chunk: Buffer) => this.capture(chunk));
    this.exited = new Promise((resolveExit) => child.once('exit', (code, signal) => resolveExit(signal ? null : code)));
  }

  /**
   * Starts `name` with `env` over this process's environment, on the port `env` names or a free
   * one, and (unless `waitReady: false`) waits for its /readyz.
   */
  static async start(name: AppName, env: Record<string, string>, options: { waitReady?: boolean; keepAllOutput?: boolean } = {}): Promise<AppProcess> {
    const [freeA, freeB] = await freePorts(2);
    const port = Number(env[PORT_VARIABLE[name]] ?? freeA);
    // Every gateway gets an internal port of its own, so several run side by side.
    const adminPort = name === 'gateway' ? Number(env.FLOWGATE_ADMIN_PORT ?? freeB) : port;
    const child = spawn(process.execPath, [resolve(ROOT, 'dist/apps', name, 'main.js')], {
      cwd: ROOT,
      env: {
        ...process.env, [PORT_VARIABLE[name]]: String(port), FLOWGATE_LOG_LEVEL: 'warn',
        ...(name === 'gateway' ? { FLOWGATE_ADMIN_PORT: String(adminPort) } : {}), ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const app = new AppProcess(name, port, adminPort, child, options.keepAllOutput ?? false);
    if (options.waitReady ?? true) await app.waitReady();
    return app;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Where the app's /metrics is: the gateway's internal port, the others' own. */
  get adminUrl(): string {
    return `http://127.0.0.1:${this.adminPort}`;
  }

  get pid(): number {
    return this.child.pid!;
  }

  get logs(): string {
    return this.output;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async waitReady(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`${this.name} exited (${this.child.exitCode ?? this.child.signalCode}) before ready:\n${this.output}`);
      try {
        if ((await fetch(`${this.url}/readyz`)).status === 200) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${this.name} not ready within ${timeoutMs} ms:\n${this.output}`);
  }

  /** Sum of one metric's samples in /metrics over the label sets that match `labels`. */
  async metric(name: string, labels: Record<string, string> = {}): Promise<number> {
    const text = await (await fetch(`${this.adminUrl}/metrics`)).text();
    let sum = 0;
    for (const line of text.split('\n')) {
      if (!line.startsWith(name)) continue;
      const match = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
      if (!match || match[1] !== name) continue;
      const labelText = match[2] ?? '';
      if (Object.entries(labels).every(([k, v]) => labelText.includes(`${k}="${v}"`))) sum += Number(match[3]);
    }
    return sum;
  }

  /** Metric families (`# TYPE` lines) in /metrics: name → type. */
  async families(): Promise<Map<string, string>> {
    const text = await (await fetch(`${this.adminUrl}/metrics`)).text();
    return new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]]));
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    this.child.kill(signal);
  }

  /**
   * SIGTERM (the app drains), SIGKILL after `graceMs`; resolves with the exit code (null: killed).
   * The grace covers a drain of requests with the longest default deadline and then some.
   */
  async stop(graceMs = 30_000): Promise<number | null> {
    if (!this.running) return this.exited;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  private capture(chunk: Buffer): void {
    this.output = (this.output + chunk.toString()).slice(-this.keptOutput);
  }
}
