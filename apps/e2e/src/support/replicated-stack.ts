import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { stablePorts } from './kafka-node';

const SCRIPT = resolve(__dirname, '../../../../tools/stack/replicated-stack.mjs');
/** Kafka's 3 nodes take 6 ports (broker and controller each), Redis 5 (primary, replica, 3 Sentinels). */
const KAFKA_PORTS = 6;
const REDIS_PORTS = 5;

/**
 * A test's own replicated stack (tools/stack/replicated-stack.mjs): a 3-node KRaft cluster and a
 * Redis primary, replica and 3 Sentinels, whose members the test kills and restarts.
 */
export class ReplicatedStack {
  brokers = '';
  sentinels = '';
  masterName = '';
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private nextId = 1;
  private output = '';

  private constructor(
    private readonly child: ChildProcess,
    private readonly dataDir: string,
    readonly kafkaPort: number,
    readonly redisPort: number,
  ) {}

  /**
   * Starts it on 11 consecutive free ports below Linux's ephemeral range (32768+): members are
   * restarted on the same ports, and an ephemeral port could be taken by a client in between.
   */
  static async start(timeoutMs = 150_000): Promise<ReplicatedStack> {
    const base = await stablePorts(KAFKA_PORTS + REDIS_PORTS);
    const dataDir = mkdtempSync(join(tmpdir(), 'flowgate-replicated-'));
    const child = spawn(process.execPath, [SCRIPT, '--kafka-port', String(base), '--redis-port', String(base + KAFKA_PORTS), '--data', dataDir], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const stack = new ReplicatedStack(child, dataDir, base, base + KAFKA_PORTS);
    child.stderr?.on('data', (chunk: Buffer) => {
      stack.output = (stack.output + chunk.toString()).slice(-20_000);
    });
    await new Promise<void>((resolveReady, reject) => {
      const timer = setTimeout(() => reject(new Error(`replicated stack not ready within ${timeoutMs} ms:\n${stack.output}`)), timeoutMs);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`replicated stack exited (${code}) while starting:\n${stack.output}`));
      });
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const message = JSON.parse(line) as { ready?: { brokers: string; sentinels: string; masterName: string }; id?: number; value?: unknown; error?: string };
        if (message.ready) {
          Object.assign(stack, message.ready);
          clearTimeout(timer);
          resolveReady();
        } else if (message.id !== undefined) {
          const waiting = stack.pending.get(message.id);
          stack.pending.delete(message.id);
          if (message.error !== undefined) waiting?.reject(new Error(message.error));
          else waiting?.resolve(message.value);
        }
      });
    });
    return stack;
  }

  /** The environment that points apps at this stack (Redis through the Sentinels). */
  get env(): Record<string, string> {
    return { KAFKA_BROKERS: this.brokers, REDIS_SENTINELS: this.sentinels, REDIS_SENTINEL_MASTER: this.masterName, REDIS_URL: 'redis://ignored:1' };
  }

  /** The stack's own log lines (stderr), for failure messages. */
  get logs(): string {
    return this.output;
  }

  killKafka(node: number): Promise<void> {
    return this.call('killKafka', { node }) as Promise<void>;
  }

  restartKafka(node: number): Promise<void> {
    return this.call('restartKafka', { node }) as Promise<void>;
  }

  leaderOf(topic: string, partition: number): Promise<number> {
    return this.call('leaderOf', { topic, partition }) as Promise<number>;
  }

  killRedis(port: number): Promise<void> {
    return this.call('killRedis', { port }) as Promise<void>;
  }

  restartRedis(port: number): Promise<void> {
    return this.call('restartRedis', { port }) as Promise<void>;
  }

  redisPrimaryPort(): Promise<number> {
    return this.call('redisPrimaryPort', {}) as Promise<number>;
  }

  /** Each partition's replicas and in-sync replicas, and the topic's min.insync.replicas, as the cluster reports them now. */
  async replication(topic: string): Promise<{ partitions: { partition: number; replicas: number[]; isr: number[] }[]; minIsr: number }> {
    const admin = new Kafka({ brokers: this.brokers.split(','), clientId: 'e2e-replicated', logLevel: logLevel.NOTHING, retry: { retries: 3 } }).admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      const { resources } = await admin.describeConfigs({
        resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['min.insync.replicas'] }],
        includeSynonyms: false,
      });
      return {
        partitions: topics[0].partitions.map((p) => ({ partition: p.partitionId, replicas: p.replicas, isr: p.isr })),
        minIsr: Number(resources[0].configEntries[0]?.configValue),
      };
    } finally {
      await admin.disconnect();
    }
  }

  /** Stops everything and deletes its data. */
  async destroy(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  private call(op: string, args: Record<string, unknown>): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolveCall, reject) => {
      this.pending.set(id, { resolve: resolveCall, reject });
      this.child.stdin!.write(`${JSON.stringify({ id, op, ...args })}\n`);
    });
  }
}
