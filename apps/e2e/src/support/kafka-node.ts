import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { freePort } from './app-process';

const SCRIPT = resolve(__dirname, '../../../../tools/stack/kafka-node.mjs');

/**
 * A Kafka broker of a test's own, which it may stop and start again on the same data
 * (tools/stack/kafka-node.mjs): for failure tests that must not disturb the shared broker.
 */
export class KafkaNode {
  private child: ChildProcess | undefined;
  private readonly dataDir = join(mkdtempSync(join(tmpdir(), 'flowgate-kafka-')), 'data');

  private constructor(readonly port: number) {}

  static async create(): Promise<KafkaNode> {
    let port = await freePort();
    // The controller listens on port + 1; find a pair that is free.
    while (port + 1 === (await freePort())) port = await freePort();
    return new KafkaNode(port);
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
