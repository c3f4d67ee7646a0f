import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort, sleep } from './processes';

export interface ScrapeJob {
  readonly job: string;
  readonly ports: number[];
  /** Target labels, e.g. the namespace a ServiceMonitor's targets would carry. */
  readonly labels?: Record<string, string>;
}

export interface Sample {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

/** Debian's Prometheus on a loopback port, scraping the given jobs every second, with rule files. */
export class Prometheus {
  private output = '';

  private constructor(
    readonly url: string,
    private readonly child: ChildProcess,
    private readonly dir: string,
  ) {
    child.stdout?.on('data', (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-20_000)));
    child.stderr?.on('data', (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-20_000)));
  }

  static async start(binary: string, jobs: ScrapeJob[], rules: Record<string, string> = {}): Promise<Prometheus> {
    const dir = mkdtempSync(join(tmpdir(), 'flowgate-prometheus-'));
    const ruleFiles = Object.entries(rules).map(([name, text]) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    });
    const config = {
      global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
      rule_files: ruleFiles,
      scrape_configs: jobs.map((j) => ({
        job_name: j.job,
        static_configs: [{ targets: j.ports.map((port) => `127.0.0.1:${port}`), labels: j.labels ?? {} }],
      })),
    };
    writeFileSync(join(dir, 'prometheus.yml'), stringify(config));
    const port = await freePort();
    const child = spawn(
      binary,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const prometheus = new Prometheus(`http://127.0.0.1:${port}`, child, dir);
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`prometheus exited (${child.exitCode}):\n${prometheus.output}`);
      try {
        if ((await fetch(`${prometheus.url}/-/ready`)).status === 200) return prometheus;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        await prometheus.stop();
        throw new Error(`prometheus not ready within 60 s:\n${prometheus.output}`);
      }
      await sleep(200);
    }
  }

  get logs(): string {
    return this.output;
  }

  private async api<T>(path: string): Promise<T> {
    const response = await fetch(`${this.url}/api/v1/${path}`);
    const body = (await response.json()) as { status: string; data: T; error?: string; errorType?: string };
    if (body.status !== 'success') throw new Error(`${path}: ${body.errorType}: ${body.error}`);
    return body.data;
  }

  /** An instant query now; throws on a PromQL error. */
  async query(expr: string): Promise<Sample[]> {
    const data = await this.api<{ resultType: string; result: Sample[] }>(`query?query=${encodeURIComponent(expr)}`);
    if (data.resultType !== 'vector') throw new Error(`${expr}: a ${data.resultType}, not an instant vector`);
    return data.result;
  }

  /** Health of every scrape target: "up", "down" or "unknown". */
  async targets(): Promise<{ job: string; instance: string; health: string }[]> {
    const data = await this.api<{ activeTargets: { labels: Record<string, string>; health: string }[] }>('targets');
    return data.activeTargets.map((t) => ({ job: t.labels.job, instance: t.labels.instance, health: t.health }));
  }

  /** Alerting rules as Prometheus evaluates them: name → { health, state, lastError }. */
  async alertingRules(): Promise<Record<string, { health: string; state: string; lastError?: string }>> {
    const data = await this.api<{ groups: { rules: { type: string; name: string; health: string; state: string; lastError?: string }[] }[] }>('rules');
    const rules = data.groups.flatMap((g) => g.rules).filter((r) => r.type === 'alerting');
    return Object.fromEntries(rules.map((r) => [r.name, { health: r.health, state: r.state, lastError: r.lastError }]));
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
