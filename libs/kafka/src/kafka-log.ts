import { logLevel as KafkaLogLevel, LogEntry } from 'kafkajs';

/**
 * Lets the first of a run of identical log lines through, then at most one per `windowMs`,
 * carrying how many it held back. kafkajs logs every failed connection attempt and every error
 * response; with Kafka out of reach that is hundreds of identical lines a second.
 *
 * @example
 * const limiter = new RepeatLimiter(10_000);
 * limiter.admit('connect ECONNREFUSED');  // 0: log it
 * limiter.admit('connect ECONNREFUSED');  // undefined: drop it
 * // 10 s later: 57 (log it, and say 57 identical lines were dropped meanwhile)
 */
export class RepeatLimiter {
  private readonly runs = new Map<string, { until: number; held: number }>();

  constructor(
    private readonly windowMs: number,
    private readonly maxKeys = 1_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The number of lines held back since the last one let through, or undefined to drop this one. */
  admit(key: string): number | undefined {
    const now = this.now();
    const run = this.runs.get(key);
    if (run && now < run.until) {
      run.held++;
      return undefined;
    }
    if (!run && this.runs.size >= this.maxKeys) this.runs.clear();
    this.runs.set(key, { until: now + this.windowMs, held: 0 });
    return run?.held ?? 0;
  }
}

/**
 * kafkajs's Connection logs every error response at ERROR before anyone decides what it means;
 * most are retried (CONCURRENT_TRANSACTIONS after a transaction commit, REBALANCE_IN_PROGRESS,
 * NOT_COORDINATOR...) and the rest reach the caller, who reports them. They are warnings.
 */
const isErrorResponse = (namespace: string, message: string) => namespace === 'Connection' && message.startsWith('Response ');

const repeats = new RepeatLimiter(10_000);

/** kafkajs's log creator for flowgate's apps: JSON lines, repeats limited, error responses as warnings. */
export function logKafkaEntry({ namespace, level, label, log }: LogEntry): void {
  // `stack` goes too: kafkajs attaches it to socket errors, where it shows only Node's TLS and net
  // internals, and the error's message already says what happened.
  const { message, timestamp: _t, logger: _l, correlationId: _c, size: _s, stack: _st, ...extra } = log as LogEntry['log'] & Record<string, unknown>;
  const held = repeats.admit(`${namespace}|${level}|${message}|${String(extra['error'] ?? '')}`);
  if (held === undefined) return;
  const asWarning = level === KafkaLogLevel.ERROR && isErrorResponse(namespace, message);
  const line = JSON.stringify({
    level: asWarning ? 'warn' : label.toLowerCase(),
    logger: `kafkajs.${namespace}`,
    message,
    ...extra,
    ...(held > 0 ? { repeatsHeldBack: held } : {}),
  });
  if (level <= KafkaLogLevel.ERROR && !asWarning) console.error(line);
  else console.log(line);
}
