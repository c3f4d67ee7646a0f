import { AccessError } from '@flowgate/config';
import { redisAccessError } from './redis-access';
import { createRedis, Redis, RedisSentinelOptions } from './redis-client';

/** How long after an unexpected end the client is started again. */
const RESTART_AFTER_END_MS = 1_000;

export interface RedisConnectionOptions {
  readonly url: string;
  /** Find the primary through Sentinels; `url` then gives only credentials, db and TLS (see `createRedis`). */
  readonly sentinel?: RedisSentinelOptions;
  /** The client's name in Redis (`CLIENT LIST`). */
  readonly name: string;
  /**
   * Connection errors; the client keeps reconnecting on its own, except after an `AccessError`
   * before it was ever ready (see `connect`).
   */
  readonly onError: (error: Error) => void;
}

/**
 * An app's one connection to Redis, shared by its services: one client configured by
 * `createRedis` (commands fail fast while disconnected), connected by whichever service needs it
 * first, closed once. Use it through `RedisModule`, which closes it when the app shuts down.
 */
export class RedisConnection {
  readonly client: Redis;
  private everReady = false;
  private refused: AccessError | undefined;
  private closing = false;

  constructor(options: RedisConnectionOptions) {
    this.client = createRedis(options.url, options.name, options.sentinel);
    const user = decodeURIComponent(new URL(options.url).username) || 'default';
    this.client.on('ready', () => (this.everReady = true));
    this.client.on('error', (error: Error) => {
      const refused = redisAccessError(error, user);
      // A refusal at boot is a wrong setting: stop trying, so `connect` rejects with it and the app
      // stops. Once it has worked, a refusal (a user disabled for a moment) is retried like an outage.
      if (refused && !this.everReady) {
        this.refused = refused;
        this.client.disconnect();
      }
      options.onError(refused ?? error);
    });
    // The client never gives up on its own (see createRedis), yet a Sentinel client can end for
    // good after a failover (seen: "All sentinels are unreachable", then every command "Connection
    // is closed" for as long as the app ran; ioredis #1683): start it again unless it was closed
    // or refused here.
    this.client.on('end', () => {
      if (this.closing || this.refused) return;
      setTimeout(() => {
        if (!this.closing && this.client.status === 'end') this.client.connect().catch(() => undefined);
      }, RESTART_AFTER_END_MS).unref();
    });
  }

  get ready(): boolean {
    return this.client.status === 'ready';
  }

  /**
   * Resolves once connected, or rejects when the attempt under way fails (the client still keeps
   * trying in the background). Any number of services may call it: ioredis itself refuses a
   * second `connect()` while connecting, so later callers wait for the first one's outcome.
   * Rejects with an `AccessError`, and stops trying, when Redis refused the credentials or the
   * certificate before the client was ever ready.
   */
  async connect(): Promise<void> {
    try {
      await this.connectOnce();
    } catch (error) {
      throw this.refused ?? error;
    }
  }

  private connectOnce(): Promise<void> {
    const { client } = this;
    if (this.refused) return Promise.reject(this.refused);
    if (client.status === 'ready') return Promise.resolve();
    if (client.status === 'wait' || client.status === 'end') return client.connect();
    return new Promise((resolve, reject) => {
      const onReady = () => {
        client.off('close', onClose);
        resolve();
      };
      const onClose = () => {
        client.off('ready', onReady);
        reject(new Error('Connection is closed.'));
      };
      client.once('ready', onReady);
      client.once('close', onClose);
    });
  }

  /** QUIT, so replies under way still arrive; a client that is not connected just stops trying. */
  async close(): Promise<void> {
    this.closing = true;
    const { client } = this;
    if (client.status !== 'ready') return client.disconnect();
    const ended = new Promise((resolve) => client.once('end', resolve));
    try {
      await client.quit();
      await ended; // the reply to QUIT comes before Redis closes the socket
    } catch {
      client.disconnect(); // the socket broke under QUIT: nothing left to wait for
    }
  }
}
