import { connect as netConnect, isIP } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { ISocketFactory, Kafka, logLevel as KafkaLogLevel, SASLOptions } from 'kafkajs';
import { logKafkaEntry } from './kafka-log';
import { fixRequestQueueTimer } from '@flowgate/kafkajs-fixes';

export interface KafkaClientOptions {
  readonly brokers: string[];
  readonly clientId: string;
  readonly ssl?: boolean;
  readonly sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
}

/**
 * How long a fetch of a reader that never pauses waits at the broker for a record. The broker
 * answers as soon as one arrives (the fetch's minimum is one byte), so this costs no latency; it
 * sets how often an idle reader asks: at 100 ms, ten fetch requests a second per reader (every
 * consumer at 500 ms halved what an idle gateway, processor and sweeper spent, `bench/idle-cpu.mjs`).
 * Consumers that pause partitions for backpressure keep a short wait: kafkajs fetches a resumed
 * partition only once the fetch in flight has returned.
 */
export const NEVER_PAUSED_MAX_WAIT_MS = 500;

/**
 * A kafkajs client tuned to fail fast: short connection and request timeouts and few retries,
 * so a dead broker turns into a quick 503 at the gateway instead of a hanging request; its
 * connections without kafkajs's idle 1 ms timer (libs/kafkajs-fixes).
 */
export function createKafka({ brokers, clientId, ssl, sasl }: KafkaClientOptions): Kafka {
  fixRequestQueueTimer();
  return new Kafka({
    brokers,
    clientId,
    ...(ssl ? { ssl: true } : {}),
    // The union of mechanisms is exactly kafkajs's; TypeScript cannot see through the spread.
    ...(sasl ? { sasl: sasl as SASLOptions } : {}),
    // A TLS handshake adds round trips and the server's RSA work to a connect: on a busy host it
    // takes longer than a plain one, and a connect cut short would fail a healthy broker.
    connectionTimeout: ssl ? 3_000 : 1_000,
    requestTimeout: 5_000,
    retry: { initialRetryTime: 100, maxRetryTime: 1_000, retries: 3 },
    logLevel: KafkaLogLevel.WARN,
    logCreator: () => logKafkaEntry,
    socketFactory: noDelaySocketFactory,
  });
}

/**
 * kafkajs's own socket factory leaves Nagle's algorithm on, so a small request written while an
 * earlier one is unacknowledged waits for the ACK: tens of milliseconds per hop under light load.
 */
const noDelaySocketFactory: ISocketFactory = ({ host, port, ssl, onConnect }) => {
  const socket = ssl
    ? tlsConnect({ host, port, ...(isIP(host) ? {} : { servername: host }), ...ssl }, onConnect)
    : netConnect({ host, port }, onConnect);
  socket.setNoDelay(true);
  socket.setKeepAlive(true, 60_000);
  return socket;
};

export type { Kafka };
