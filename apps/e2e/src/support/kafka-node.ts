import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createServer } from 'node:net';

const SCRIPT = resolve(__dirname, '../../../../tools/stack/kafka-node.mjs');

/**
 * A Kafka broker of a test's own, which it may stop and start again on the same data
 * (tools/stack/kafka-node.mjs): for failure tests that must not disturb the shared broker.
 */
export class KafkaNode {
  private child: ChildProcess | undefined;
  private readonly dataDir = join(mkdtempSync(join(tmpdir(), 'flowgate-kafka-')), 'data');

  private constructor(readonly port: number) {}

  /**
   * Ports below Linux's ephemeral range (32768+): the broker is stopped and started again on the
   * same ports, and an ephemeral port could be taken by some client connection in between.
   */
  static async create(): Promise<KafkaNode> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const port = 20_000 + Math.floor(Math.random() * 9_000);
      if ((await isFree(port)) && (await isFree(port + 1))) return new KafkaNode(port);
    }
    throw new Error('no free pair of ports for a Kafka broker between 20000 and 29000');
  }

  get brokers(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn(process.execPath, [SCRIPT, '--port', String(this.port), '--data', this.dataDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    let output = '';
    await new Promise<void>((resolveStart, reject) => {
      const timer = setTimeout(() => reject(new Error(`kafka did not start within 90 s:\n${output}`)), 90_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('KAFKA_BROKERS=')) {
          clearTimeout(timer);
          resolveStart();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`kafka exited (${code}) while starting:\n${output}`));
      });
    });
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }

  /** Stops the broker and deletes its data. */
  async destroy(): Promise<void> {
    await this.stop();
    rmSync(dirname(this.dataDir), { recursive: true, force: true });
  }
}

/** Whether nothing listens on 127.0.0.1:<port> now. */
export function isFree(port: number): Promise<boolean> {
  return new Promise((resolveFree) => {
    const server = createServer();
    server.once('error', () => resolveFree(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolveFree(true)));
  });
}
