import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, sleep } from './processes';

/**
 * Debian's nginx as a stable entry point in front of one upstream port (a colour's gateway),
 * repointed with a graceful reload (`nginx -s reload`): new workers take the new upstream,
 * old ones finish their requests and exit.
 */
export class Nginx {
  private constructor(
    private readonly binary: string,
    private readonly dir: string,
    readonly port: number,
    private readonly master: ChildProcess,
  ) {}

  static async start(binary: string, upstreamPort: number): Promise<Nginx> {
    const dir = mkdtempSync(join(tmpdir(), 'flowgate-nginx-'));
    chmodSync(dir, 0o755); // workers drop root privileges
    mkdirSync(join(dir, 'tmp'), { mode: 0o777 });
    mkdirSync(join(dir, 'logs'));
    const port = await freePort();
    writeFileSync(
      join(dir, 'nginx.conf'),
      `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  include ${dir}/upstream.conf;
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://flowgate;
      # A request that reached a gateway is never sent to another one (POSTs are not idempotent).
      proxy_next_upstream off;
      proxy_read_timeout 90s;
    }
  }
}
`,
    );
    const nginx = new Nginx(binary, dir, port, spawn(binary, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: ['ignore', 'pipe', 'pipe'] }));
    nginx.writeUpstream(upstreamPort);
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (nginx.master.exitCode !== null) throw new Error(`nginx exited (${nginx.master.exitCode}): ${nginx.errorLog}`);
      if (nginx.workerStates().length > 0) return nginx;
      await sleep(100);
    }
    throw new Error(`nginx did not start: ${nginx.errorLog}`);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get errorLog(): string {
    try {
      return readFileSync(join(this.dir, 'logs/error.log'), 'utf8');
    } catch {
      return '(no error log)';
    }
  }

  private writeUpstream(port: number): void {
    writeFileSync(join(this.dir, 'upstream.conf'), `upstream flowgate { server 127.0.0.1:${port}; }\n`);
  }

  /** Points nginx at another upstream with `nginx -s reload`. */
  reloadTo(upstreamPort: number): void {
    this.writeUpstream(upstreamPort);
    const result = spawnSync(this.binary, ['-p', this.dir, '-c', join(this.dir, 'nginx.conf'), '-s', 'reload'], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`nginx -s reload failed (${result.status}): ${result.stderr}`);
  }

  /** The master's workers: 'worker process' or 'worker process is shutting down'. */
  workerStates(): string[] {
    const ps = spawnSync('ps', ['--ppid', String(this.master.pid), '-o', 'args='], { encoding: 'utf8' });
    return ps.stdout
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line.startsWith('nginx: worker process'));
  }

  async stop(): Promise<void> {
    if (this.master.exitCode === null && this.master.signalCode === null) {
      const exited = new Promise((resolve) => this.master.once('exit', resolve));
      this.master.kill('SIGQUIT'); // graceful: workers finish their requests
      const timer = setTimeout(() => this.master.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
