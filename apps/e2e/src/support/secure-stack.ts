import { ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { freePorts } from './app-process';
import { stablePorts } from './kafka-node';

const ROOT = resolve(__dirname, '../../../..');
const SCRIPT = join(ROOT, 'tools/stack/secure-stack.mjs');
export const SECURE_USERS = ['admin', 'gateway', 'processor', 'sweeper', 'console'] as const;
export type SecureUser = (typeof SECURE_USERS)[number];

/**
 * A secured Kafka (SASL_SSL, SCRAM-SHA-512, ACLs per app) and a TLS-only Redis (an ACL user per
 * app) of a test's own, on free ports, with a fresh CA and random passwords
 * (tools/stack/secure-stack.mjs).
 */
export class SecureStack {
  readonly passwords = Object.fromEntries(SECURE_USERS.map((user) => [user, randomBytes(12).toString('hex')])) as Record<SecureUser, string>;
  private readonly dir = mkdtempSync(join(tmpdir(), 'flowgate-secure-'));
  private child: ChildProcess | undefined;
  private ready: { brokers: string; redis: string; ca: string } | undefined;

  constructor(readonly prefix: string) {}

  async start(): Promise<void> {
    const kafkaPort = await stablePorts(2);
    const controllerPort = kafkaPort + 1;
    const [redisPort] = await freePorts(1);
    const child = spawn(process.execPath, [SCRIPT, '--kafka-port', String(kafkaPort), '--controller-port', String(controllerPort), '--redis-port', String(redisPort), '--dir', this.dir, '--prefix', this.prefix], {
      env: { ...process.env, FLOWGATE_SECURE_PASSWORDS: JSON.stringify(this.passwords) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    let output = '';
    this.ready = await new Promise((resolveStart, reject) => {
      const timer = setTimeout(() => reject(new Error(`the secure stack did not start within 150 s:\n${output}`)), 150_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const line = /^SECURE_STACK (.*)$/m.exec(output);
        if (line) {
          clearTimeout(timer);
          resolveStart(JSON.parse(line[1]) as { brokers: string; redis: string; ca: string });
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the secure stack exited (${code}) while starting:\n${output}`));
      });
    });
  }

  get ca(): string {
    return this.stack.ca;
  }

  /** An app's environment: its Kafka user and password, its Redis user in REDIS_URL, the CA trusted. */
  env(user: { kafka: SecureUser; kafkaPassword?: string; redis?: SecureUser; redisPassword?: string }): Record<string, string> {
    const redisUser = user.redis ?? user.kafka;
    const redis = new URL(this.stack.redis);
    redis.username = redisUser;
    redis.password = user.redisPassword ?? this.passwords[redisUser];
    return {
      KAFKA_BROKERS: this.stack.brokers,
      KAFKA_SSL: 'true',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: user.kafka,
      KAFKA_SASL_PASSWORD: user.kafkaPassword ?? this.passwords[user.kafka],
      REDIS_URL: redis.toString(),
      NODE_EXTRA_CA_CERTS: this.stack.ca,
      FLOWGATE_TOPIC_PREFIX: this.prefix,
    };
  }

  /** Runs `processor ensure-topics` (what Helm's topics Job runs) as the processor's Kafka user. */
  async ensureTopics(env: Record<string, string>): Promise<string> {
    const { stdout } = await promisify(execFile)(process.execPath, [join(ROOT, 'dist/apps/processor/main.js'), 'ensure-topics'], {
      cwd: ROOT,
      env: { ...process.env, ...env, ...this.env({ kafka: 'processor' }) },
      timeout: 60_000,
    });
    return stdout;
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private get stack() {
    if (!this.ready) throw new Error('the secure stack is not started');
    return this.ready;
  }
}
