import { Kafka, logLevel as KafkaLogLevel, LogEntry } from 'kafkajs';

export interface KafkaClientOptions {
  readonly brokers: string[];
  readonly clientId: string;
}

/**
 * A kafkajs client tuned to fail fast: short connection and request timeouts and few retries,
 * so a dead broker turns into a quick 503 at the gateway instead of a hanging request.
 */
export function createKafka({ brokers, clientId }: KafkaClientOptions): Kafka {
  return new Kafka({
    brokers,
    clientId,
    connectionTimeout: 1_000,
    requestTimeout: 5_000,
    retry: { initialRetryTime: 100, maxRetryTime: 1_000, retries: 3 },
    logLevel: KafkaLogLevel.WARN,
    logCreator: () => logKafkaEntry,
  });
}

function logKafkaEntry({ namespace, level, label, log }: LogEntry): void {
  const { message, timestamp: _t, logger: _l, ...extra } = log;
  const line = JSON.stringify({ level: label.toLowerCase(), logger: `kafkajs.${namespace}`, message, ...extra });
  if (level <= KafkaLogLevel.ERROR) console.error(line);
  else console.log(line);
}

export type { Kafka };
